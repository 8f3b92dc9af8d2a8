# Reference values for tests/test_power.py, computed with epiR, pwr and base R (and the
# formulas that no installed package computes, written out with pnorm).
# Run from the repository root:  Rscript tests/reference/power.R
# Writes tests/reference/power_*.csv; the Python tests read those files and never call R.
suppressPackageStartupMessages({
  library(epiR)
  library(pwr)
})
out <- function(frame, name) {
  write.csv(frame, file.path("tests", "reference", name), row.names = FALSE)
}
versions <- sprintf("R %s; epiR %s; pwr %s", getRversion(), packageVersion("epiR"),
                    packageVersion("pwr"))

# Parameter sets: exposure prevalence among controls (p0), odds ratio, controls per case (r),
# power, alpha and sidedness.
# Rows 2-4 are the K2 study's antenatal steroid, caesarean and SGA rows: control prevalence
# from Table 1 (13, 68 and 6 of 134 controls) and the univariable odds ratios of Table 2.
sets <- data.frame(
  p0 = c(0.30, 13 / 134, 68 / 134, 6 / 134, 0.20, 0.10, 0.25),
  odds_ratio = c(2.0, 5.675, 3.151, 4.898, 0.5, 2.0, 1.8),
  r = c(1, 134 / 66, 134 / 66, 134 / 66, 3, 1, 2),
  power = c(0.80, 0.80, 0.90, 0.80, 0.80, 0.90, 0.85),
  alpha = c(0.05, 0.05, 0.05, 0.05, 0.05, 0.01, 0.05),
  sided = c(2, 2, 2, 2, 2, 2, 1)
)

# 1. Sample size, Fleiss formula without continuity correction (fleiss = FALSE).
# epi.sscc's size and power branches attach `r` to the case group, so the design with r
# controls per case is requested as r = 1/r; its n.total is then this design's total and its
# n.case is this design's number of controls. nfractional = TRUE keeps the exact size.
size <- do.call(rbind, lapply(seq_len(nrow(sets)), function(i) {
  s <- sets[i, ]
  res <- epi.sscc(OR = s$odds_ratio, p0 = s$p0, n = NA, power = s$power, r = 1 / s$r,
                  sided.test = s$sided, conf.level = 1 - s$alpha, nfractional = TRUE,
                  method = "unmatched", fleiss = FALSE)
  data.frame(s, n_total = res$n.total, n_controls = res$n.case, n_cases = res$n.control)
}))

# Two-sided power written out beside epiR (which keeps only the rejection tail on the side
# of the effect): Fleiss's z statistic with separate variances under the alternative, and
# the probability of rejecting in either direction,
#   pnorm((d sqrt(r n) - z sqrt(pooled)) / sqrt(sep)) + pnorm((-d sqrt(r n) - z sqrt(pooled)) / sqrt(sep))
# with n cases, r controls per case, d = p1 - p0, z = qnorm(1 - alpha / sided).
fleiss_tails <- function(odds_ratio, p0, n_cases, r, alpha, sided) {
  p1 <- odds_ratio * p0 / (1 + p0 * (odds_ratio - 1))
  d <- abs(p1 - p0)
  pbar <- (p1 + r * p0) / (r + 1)
  pooled <- (r + 1) * pbar * (1 - pbar)
  sep <- r * p1 * (1 - p1) + p0 * (1 - p0)
  z <- qnorm(1 - alpha / sided)
  near <- pnorm((d * sqrt(r * n_cases) - z * sqrt(pooled)) / sqrt(sep))
  far <- if (sided == 2) pnorm((-d * sqrt(r * n_cases) - z * sqrt(pooled)) / sqrt(sep)) else 0
  c(near = near, far = far)
}
size$n_cases_two_sided <- sapply(seq_len(nrow(size)), function(i) {
  s <- size[i, ]
  if (s$sided == 1) return(s$n_cases)
  uniroot(function(n) sum(fleiss_tails(s$odds_ratio, s$p0, n, s$r, s$alpha, s$sided)) - s$power,
          c(s$n_cases / 2, s$n_cases), tol = 1e-12)$root
})
out(size, "power_epir_sample_size.csv")

# 2. Power at a given size (same convention: n = total, r passed as 1/r).
given <- data.frame(
  p0 = c(0.30, 13 / 134, 68 / 134, 6 / 134, 0.20, 0.10, 0.25),
  odds_ratio = c(2.0, 5.675, 3.151, 4.898, 0.5, 2.0, 1.8),
  r = c(1, 134 / 66, 134 / 66, 134 / 66, 3, 1, 2),
  n_cases = c(141, 66, 66, 66, 100, 150, 80),
  alpha = c(0.05, 0.05, 0.05, 0.05, 0.05, 0.01, 0.05),
  sided = c(2, 2, 2, 2, 2, 2, 1)
)
power <- do.call(rbind, lapply(seq_len(nrow(given)), function(i) {
  s <- given[i, ]
  res <- epi.sscc(OR = s$odds_ratio, p0 = s$p0, n = s$n_cases * (1 + s$r), power = NA,
                  r = 1 / s$r, sided.test = s$sided, conf.level = 1 - s$alpha,
                  nfractional = TRUE, method = "unmatched", fleiss = FALSE)
  tails <- fleiss_tails(s$odds_ratio, s$p0, s$n_cases, s$r, s$alpha, s$sided)
  data.frame(s, power = res$power, far_tail = unname(tails["far"]),
             power_two_sided = sum(tails))
}))
out(power, "power_epir_power.csv")

# 3. Detectable odds ratio: this branch uses Kelsey's pooled-variance formula with r on the
# control group, and ceiling(n / (1 + r)) cases, so n is chosen to make that a whole number.
detect <- data.frame(
  p0 = c(0.30, 0.097, 0.507, 0.10, 0.25),
  r = c(1, 2, 3, 1, 2),
  n_total = c(200, 300, 240, 400, 198),
  power = c(0.80, 0.80, 0.90, 0.90, 0.85),
  alpha = c(0.05, 0.05, 0.05, 0.01, 0.05),
  sided = c(2, 2, 2, 2, 1)
)
detectable <- do.call(rbind, lapply(seq_len(nrow(detect)), function(i) {
  s <- detect[i, ]
  res <- epi.sscc(OR = NA, p0 = s$p0, n = s$n_total, power = s$power, r = s$r,
                  sided.test = s$sided, conf.level = 1 - s$alpha, nfractional = FALSE,
                  method = "unmatched", fleiss = FALSE)
  # Kelsey's power counting both tails, solved for the odds ratio on each side of 1
  kelsey <- function(odds_ratio) {
    p1 <- odds_ratio * s$p0 / (1 + s$p0 * (odds_ratio - 1))
    pbar <- (p1 + s$r * s$p0) / (s$r + 1)
    signal <- sqrt(res$n.case * s$r * (p1 - s$p0)^2 / ((s$r + 1) * pbar * (1 - pbar)))
    z <- qnorm(1 - s$alpha / s$sided)
    pnorm(signal - z) + (if (s$sided == 2) pnorm(-signal - z) else 0) - s$power
  }
  data.frame(s, n_cases = res$n.case, odds_ratio_protective = res$OR[1],
             odds_ratio = res$OR[2],
             odds_ratio_two_sided = uniroot(kelsey, c(1, 100), tol = 1e-12)$root,
             odds_ratio_protective_two_sided = uniroot(kelsey, c(1e-6, 1), tol = 1e-12)$root)
}))
out(detectable, "power_epir_detectable_or.csv")

# 4. Base R two-proportion test at one control per case (Fleiss without correction).
prop <- data.frame(p1 = c(0.4615385, 0.35, 0.60), p0 = c(0.30, 0.20, 0.45),
                   power = c(0.80, 0.90, 0.85), n = c(100, 150, 60))
prop_out <- do.call(rbind, lapply(seq_len(nrow(prop)), function(i) {
  s <- prop[i, ]
  data.frame(s,
             n_solved = power.prop.test(p1 = s$p1, p2 = s$p0, power = s$power)$n,
             power_solved = power.prop.test(p1 = s$p1, p2 = s$p0, n = s$n)$power,
             # strict = TRUE counts both rejection tails
             n_solved_strict = power.prop.test(p1 = s$p1, p2 = s$p0, power = s$power,
                                               strict = TRUE)$n,
             power_solved_strict = power.prop.test(p1 = s$p1, p2 = s$p0, n = s$n,
                                                   strict = TRUE)$power)
}))
out(prop_out, "power_prop_test.csv")

# 5. pwr::pwr.2p2n.test, each quantity solved in turn. uniroot's default tolerance
# (about 1.2e-4 on the solved quantity) bounds the precision of the solved columns.
cases <- data.frame(
  h = c(0.3, 0.5, 0.2, -0.4, 0.35),
  n1 = c(66, 100, 300, 50, 80),
  n2 = c(134, 100, 150, 120, 200),
  alternative = c("two.sided", "two.sided", "two.sided", "less", "greater")
)
two_prop <- do.call(rbind, lapply(seq_len(nrow(cases)), function(i) {
  s <- cases[i, ]
  p <- pwr.2p2n.test(h = s$h, n1 = s$n1, n2 = s$n2, alternative = s$alternative)$power
  data.frame(s, power = p,
             h_solved = pwr.2p2n.test(n1 = s$n1, n2 = s$n2, power = p,
                                      alternative = s$alternative)$h,
             n1_solved = pwr.2p2n.test(h = s$h, n2 = s$n2, power = p,
                                       alternative = s$alternative)$n1,
             n2_solved = pwr.2p2n.test(h = s$h, n1 = s$n1, power = p,
                                       alternative = s$alternative)$n2,
             es_h = ES.h(0.5, 0.3))
}))
out(two_prop, "power_pwr_2p2n.csv")

# 5b. Hsieh, Bloch & Larsen (1998) sample size for one covariate of a logistic regression.
# powerMediation (SSizeLogisticCon / SSizeLogisticBin) is not installed; its closed forms
# are written out here and count the near rejection tail only (n_one_tail). Two-sided power
# counts both tails,
#   pnorm((s - t) / v) + pnorm((-s - t) / v)
# with s the signal, t the threshold and v the spread of each formula (v = 1 for a
# continuous covariate); sizes and detectable odds ratios with it come from uniroot at
# tol 1e-12. n is inflated by 1 / (1 - r_squared).
hsieh_parts <- function(or, n, covariate, event_rate, prevalence, r_squared, alpha) {
  z <- qnorm(1 - alpha / 2)
  n_eff <- n * (1 - r_squared)
  if (covariate == "continuous") {
    return(c(s = sqrt(n_eff * event_rate * (1 - event_rate)) * abs(log(or)), t = z, v = 1))
  }
  p2 <- event_rate * or / (1 + event_rate * (or - 1))
  overall <- (1 - prevalence) * event_rate + prevalence * p2
  c(s = sqrt(n_eff * (1 - prevalence)) * abs(event_rate - p2),
    t = z * sqrt(overall * (1 - overall) / prevalence),
    v = sqrt(event_rate * (1 - event_rate) + p2 * (1 - p2) * (1 - prevalence) / prevalence))
}
hsieh_tails <- function(...) {
  x <- hsieh_parts(...)
  c(near = pnorm((x[["s"]] - x[["t"]]) / x[["v"]]), far = pnorm((-x[["s"]] - x[["t"]]) / x[["v"]]))
}
hsieh_n_one_tail <- function(or, power, covariate, event_rate, prevalence, r_squared, alpha) {
  za <- qnorm(1 - alpha / 2); zb <- qnorm(power)
  n <- if (covariate == "continuous") {
    (za + zb)^2 / (event_rate * (1 - event_rate) * log(or)^2)
  } else {
    p2 <- event_rate * or / (1 + event_rate * (or - 1))
    overall <- (1 - prevalence) * event_rate + prevalence * p2
    (za * sqrt(overall * (1 - overall) / prevalence) +
       zb * sqrt(event_rate * (1 - event_rate) + p2 * (1 - p2) * (1 - prevalence) / prevalence))^2 /
      ((event_rate - p2)^2 * (1 - prevalence))
  }
  n / (1 - r_squared)
}
hsieh <- data.frame(
  covariate = c("continuous", "continuous", "binary", "binary", "binary"),
  odds_ratio = c(exp(0.405), 1.5, 2.0, 1.8, 0.6),
  event_rate = c(0.5, 0.1, 0.2, 0.3, 0.33),
  exposure_prevalence = c(NA, NA, 0.3, 0.4, 0.5),
  r_squared = c(0, 0.2, 0, 0.1, 0.05),
  power = c(0.95, 0.8, 0.8, 0.85, 0.9),
  n = c(200, 400, 250, 300, 200),
  alpha = c(0.05, 0.05, 0.05, 0.01, 0.05)
)
hsieh_out <- do.call(rbind, lapply(seq_len(nrow(hsieh)), function(i) {
  s <- hsieh[i, ]
  power_at <- function(or, n) sum(hsieh_tails(or, n, s$covariate, s$event_rate,
                                              s$exposure_prevalence, s$r_squared, s$alpha))
  tails <- hsieh_tails(s$odds_ratio, s$n, s$covariate, s$event_rate, s$exposure_prevalence,
                       s$r_squared, s$alpha)
  one_tail <- hsieh_n_one_tail(s$odds_ratio, s$power, s$covariate, s$event_rate,
                               s$exposure_prevalence, s$r_squared, s$alpha)
  far_at_one_tail <- hsieh_tails(s$odds_ratio, one_tail, s$covariate, s$event_rate,
                                 s$exposure_prevalence, s$r_squared, s$alpha)[["far"]]
  data.frame(s, n_one_tail = one_tail, far_tail_at_n_one_tail = far_at_one_tail,
             n_two_sided = uniroot(function(n) power_at(s$odds_ratio, n) - s$power,
                                   c(one_tail / 2, one_tail), tol = 1e-12)$root,
             power_one_tail = tails[["near"]], power_two_sided = sum(tails),
             far_tail = tails[["far"]],
             odds_ratio_two_sided = uniroot(function(or) power_at(or, s$n) - s$power,
                                            c(1, 100), tol = 1e-12)$root)
}))
out(hsieh_out, "power_hsieh.csv")

# 6. Logistic fits for the batch engine: maximum likelihood (glm) and Firth's penalised
# likelihood (brglm2, type = "AS_mean", which for the logit link is Firth's correction), on
# an ordinary dataset and on a quasi-separated one (all exposed subjects are cases).
suppressPackageStartupMessages(library(brglm2))
set.seed(20240601)
n <- 80
fit_data <- data.frame(x1 = rbinom(n, 1, 0.3), x2 = rbinom(n, 1, 0.5), x3 = round(rnorm(n), 3))
fit_data$y <- rbinom(n, 1, plogis(-0.5 + 0.9 * fit_data$x1 - 0.6 * fit_data$x2 + 0.4 * fit_data$x3))
separated <- fit_data
separated$y[separated$x1 == 1] <- 1
fit_data$dataset <- "ordinary"
separated$dataset <- "separated"
both <- rbind(fit_data, separated)
out(both, "power_batch_data.csv")
coefs <- do.call(rbind, lapply(c("ordinary", "separated"), function(name) {
  d <- both[both$dataset == name, ]
  rows <- list()
  for (method in c("ml", "firth")) {
    if (method == "ml" && name == "separated") next
    fit <- if (method == "ml") {
      glm(y ~ x1 + x2 + x3, family = binomial, data = d, control = glm.control(epsilon = 1e-12))
    } else {
      glm(y ~ x1 + x2 + x3, family = binomial, data = d, method = "brglmFit",
          type = "AS_mean", epsilon = 1e-12, maxit = 200)
    }
    s <- summary(fit)$coefficients
    rows[[method]] <- data.frame(dataset = name, method = method, term = rownames(s),
                                 estimate = s[, 1], std_error = s[, 2])
  }
  do.call(rbind, rows)
}))
out(coefs, "power_batch_coefficients.csv")
writeLines(sprintf("%s; brglm2 %s", versions, packageVersion("brglm2")),
           file.path("tests", "reference", "power_versions.txt"))
