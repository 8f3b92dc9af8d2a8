# Reference values for tests/test_fidelity.py and tests/test_synthesis.py.
# Input: fidelity_data.csv (a fixed 200-row cohort in the k2_neonates dictionary format,
# written by `neok2 synth --study k2_neonates --seed 20200701`; the R side only reads it).
# glm() runs with epsilon = 1e-14 so that its estimates are converged to ~1e-10.
# Run from the repository root:  Rscript tests/reference/fidelity.R
# Outputs:
#   fidelity_models.csv     univariable and multivariable logistic ORs, Wald CIs, Wald p
#   fidelity_tests.csv      t-test (pooled), Pearson chi-square (no correction), Mann-Whitney
#   fidelity_quantiles.csv  quantile(type = 6) (SPSS) quartiles per group
data <- read.csv("tests/reference/fidelity_data.csv")
fit_rows <- function(model, source, terms) {
  est <- coef(summary(model))
  ci <- confint.default(model)
  data.frame(source = source, model = paste(terms, collapse = "+"), term = terms,
             odds_ratio = exp(est[terms, "Estimate"]), ci_low = exp(ci[terms, 1]),
             ci_high = exp(ci[terms, 2]), p_value = est[terms, "Pr(>|z|)"])
}
univariable <- c("ga_weeks", "birthweight_kg", "caesarean", "sga", "calcium_mmol_l",
                 "antenatal_steroid", "gestational_diabetes", "prom", "pt_s", "maternal_age")
rows <- lapply(univariable, function(term) {
  fit_rows(glm(reformulate(term, "deficiency"), family = binomial, data = data,
               control = glm.control(epsilon = 1e-14, maxit = 100)),
           "univariable", term)
})
terms <- c("caesarean", "sga", "antenatal_steroid", "gestational_diabetes", "prom")
rows[[length(rows) + 1]] <- fit_rows(
  glm(reformulate(terms, "deficiency"), family = binomial, data = data,
               control = glm.control(epsilon = 1e-14, maxit = 100)), "multivariable", terms)
write.csv(do.call(rbind, rows), "tests/reference/fidelity_models.csv", row.names = FALSE)

case <- data[data$deficiency == 1, ]
control <- data[data$deficiency == 0, ]
tests <- rbind(
  data.frame(variable = c("ga_weeks", "pt_s", "calcium_mmol_l"), test = "t-test",
             p_value = sapply(c("ga_weeks", "pt_s", "calcium_mmol_l"), function(v)
               t.test(case[[v]], control[[v]], var.equal = TRUE)$p.value)),
  data.frame(variable = c("caesarean", "male", "preeclampsia"), test = "chi-square",
             p_value = sapply(c("caesarean", "male", "preeclampsia"), function(v)
               suppressWarnings(chisq.test(table(data$deficiency, data[[v]]),
                                           correct = FALSE)$p.value))),
  data.frame(variable = c("apgar_1min", "fibrinogen_g_l", "maternal_age"), test = "Mann-Whitney",
             p_value = sapply(c("apgar_1min", "fibrinogen_g_l", "maternal_age"), function(v)
               suppressWarnings(wilcox.test(case[[v]], control[[v]], correct = FALSE,
                                            exact = FALSE)$p.value))))
write.csv(tests, "tests/reference/fidelity_tests.csv", row.names = FALSE)

quantile_rows <- list()
for (v in c("apgar_1min", "fibrinogen_g_l", "maternal_age")) {
  for (group in c("case", "control")) {
    values <- if (group == "case") case[[v]] else control[[v]]
    q <- quantile(values, c(0.25, 0.5, 0.75), type = 6, names = FALSE)
    quantile_rows[[length(quantile_rows) + 1]] <- data.frame(
      variable = v, group = group, q1 = q[1], median = q[2], q3 = q[3],
      mean = mean(values), sd = sd(values))
  }
}
write.csv(do.call(rbind, quantile_rows), "tests/reference/fidelity_quantiles.csv",
          row.names = FALSE)
