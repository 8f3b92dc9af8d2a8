# Reference values for tests/test_audit.py and tests/test_limitations.py.
# Inputs are the counts and summaries printed in the k2_neonates study spec; every output is
# computed here with base R (chisq.test, fisher.test, glm) or a formula written out below.
# Run from the repository root:  Rscript tests/reference/audit.R
out <- "tests/reference"
n_case <- 66; n_control <- 134

# ---- 2x2 tables: chi-square with and without Yates, Fisher, Woolf OR (= logistic Wald) ----
binary <- data.frame(
  variable = c("male", "caesarean", "twins", "intrauterine_distress", "sga", "prom",
               "placental_abnormality", "antenatal_steroid", "gestational_diabetes",
               "preeclampsia"),
  exposed_cases = c(42, 50, 10, 8, 12, 18, 6, 25, 17, 5),
  exposed_controls = c(79, 68, 12, 12, 6, 17, 5, 13, 15, 10)
)
rows <- lapply(seq_len(nrow(binary)), function(i) {
  a <- binary$exposed_cases[i]; c <- binary$exposed_controls[i]
  tab <- matrix(c(a, n_case - a, c, n_control - c), nrow = 2, byrow = TRUE)
  y <- c(rep(1, n_case), rep(0, n_control))
  x <- c(rep(1, a), rep(0, n_case - a), rep(1, c), rep(0, n_control - c))
  fit <- glm(y ~ x, family = binomial)
  ci <- exp(confint.default(fit)["x", ])
  data.frame(
    variable = binary$variable[i], exposed_cases = a, exposed_controls = c,
    pearson_p = suppressWarnings(chisq.test(tab, correct = FALSE)$p.value),
    yates_p = suppressWarnings(chisq.test(tab, correct = TRUE)$p.value),
    fisher_p = fisher.test(tab)$p.value,
    odds_ratio = unname(exp(coef(fit)["x"])), ci_low = unname(ci[1]), ci_high = unname(ci[2]),
    wald_p = summary(fit)$coefficients["x", "Pr(>|z|)"]
  )
})
write.csv(do.call(rbind, rows), file.path(out, "audit_2x2.csv"), row.names = FALSE)

# ---- t-tests from summary statistics (hand formulas), SD and SEM readings ----
summaries <- data.frame(
  variable = c("ga_weeks", "birthweight_kg", "k2_ng_ml", "pt_s", "aptt_s", "glucose_mmol_l",
               "calcium_mmol_l", "phosphorus_mmol_l"),
  mean_case = c(35.1, 2.28, 0.05, 15.18, 53.59, 4.3, 1.05, 1.95),
  sd_case = c(3.27, 0.68, 0.025, 0.29, 1.41, 0.18, 0.21, 0.21),
  mean_control = c(35, 2.32, 0.446, 14.98, 54.36, 4.4, 1.09, 1.95),
  sd_control = c(3.72, 0.81, 0.18, 0.24, 1.25, 0.14, 0.28, 0.223)
)
student <- function(m1, s1, n1, m0, s0, n0) {
  pooled <- ((n1 - 1) * s1^2 + (n0 - 1) * s0^2) / (n1 + n0 - 2)
  t <- (m1 - m0) / sqrt(pooled * (1 / n1 + 1 / n0))
  2 * pt(-abs(t), n1 + n0 - 2)
}
welch <- function(m1, s1, n1, m0, s0, n0) {
  v1 <- s1^2 / n1; v0 <- s0^2 / n0
  df <- (v1 + v0)^2 / (v1^2 / (n1 - 1) + v0^2 / (n0 - 1))
  2 * pt(-abs((m1 - m0) / sqrt(v1 + v0)), df)
}
with(summaries, {
  result <- data.frame(
    variable = variable,
    student_p = student(mean_case, sd_case, n_case, mean_control, sd_control, n_control),
    welch_p = welch(mean_case, sd_case, n_case, mean_control, sd_control, n_control),
    student_p_sem = student(mean_case, sd_case * sqrt(n_case), n_case,
                            mean_control, sd_control * sqrt(n_control), n_control),
    welch_p_sem = welch(mean_case, sd_case * sqrt(n_case), n_case,
                        mean_control, sd_control * sqrt(n_control), n_control),
    discriminant_or = exp((mean_case - mean_control) /
      (((n_case - 1) * sd_case^2 + (n_control - 1) * sd_control^2) / (n_case + n_control - 2)))
  )
  write.csv(result, file.path(out, "audit_ttest.csv"), row.names = FALSE)
})

# ---- p recovered from an OR and its Wald CI (Altman & Bland 2011) ----
printed <- data.frame(
  table = c(rep("Table 2", 8), rep("Multivariable", 3)),
  variable = c("ga_weeks", "birthweight_kg", "caesarean", "sga", "calcium_mmol_l",
               "antenatal_steroid", "gestational_diabetes", "prom",
               "antenatal_steroid", "caesarean", "sga"),
  odds_ratio = c(0.99, 1.068, 3.151, 4.898, 2.066, 5.675, 2.752, 2.581, 4.728, 2.529, 3.462),
  ci_low = c(0.91, 0.721, 1.586, 1.74, 0.562, 2.659, 1.275, 1.278, 2.049, 1.165, 1.103),
  ci_high = c(1.077, 1.581, 6.263, 13.78, 7.588, 12.112, 5.944, 5.426, 10.908, 5.492, 10.871)
)
se <- (log(printed$ci_high) - log(printed$ci_low)) / (2 * qnorm(0.975))
printed$p_from_ci <- 2 * pnorm(-abs(log(printed$odds_ratio)) / se)
printed$geometric_mean <- sqrt(printed$ci_low * printed$ci_high)
write.csv(printed, file.path(out, "audit_ci_p.csv"), row.names = FALSE)

# ---- limitations: Zhang & Yu risk ratios and E-values, formulas written out ----
prevalence <- 0.33
adjusted <- data.frame(
  variable = c("antenatal_steroid", "caesarean", "sga"),
  odds_ratio = c(4.728, 2.529, 3.462), ci_low = c(2.049, 1.165, 1.103),
  ci_high = c(10.908, 5.492, 10.871),
  exposed_cases = c(25, 50, 12), exposed_controls = c(13, 68, 6)
)
e_value <- function(rr) { rr <- ifelse(rr < 1, 1 / rr, rr); rr + sqrt(rr * (rr - 1)) }
within_adjusted <- within(adjusted, {
  case_share <- exposed_cases / n_case
  control_share <- exposed_controls / n_control
  unexposed_risk <- prevalence * (1 - case_share) /
    (prevalence * (1 - case_share) + (1 - prevalence) * (1 - control_share))
  risk_ratio <- odds_ratio / (1 - unexposed_risk + unexposed_risk * odds_ratio)
  e_value_point <- e_value(sqrt(odds_ratio))
  e_value_limit <- ifelse(ci_low > 1, e_value(sqrt(ci_low)), 1)
  e_value_rare <- e_value(odds_ratio)
})
write.csv(within_adjusted, file.path(out, "audit_limitations.csv"), row.names = FALSE)
