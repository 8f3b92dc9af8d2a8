# Reference Firth fits of grouped (binomial) data for tests/test_batch.py, from brglm2.
# Run from the repository root:  Rscript tests/reference/batch_firth.R
# Writes tests/reference/batch_firth_data.csv (the counts per covariate pattern) and
# tests/reference/batch_firth_coefficients.csv; the Python tests read them and never call R.
# It reads tests/reference/batch_firth_rows.csv: 60 subjects with four continuous covariates
# (normal draws times 2, rounded to 3 decimals), whose Firth fit needs the safeguards of a
# Newton iteration (non-concave start, step halving).
#
# Every dataset has a covariate pattern holding one or a few subjects who are all cases (or
# all controls): the maximum-likelihood estimate is infinite, and in a saturated model that
# pattern's leverage equals its count, which is where a Fisher-scoring Firth iteration that
# ignores the penalty's curvature overshoots. brglm2's type = "AS_mean" is Firth's
# correction for the logit link.
suppressPackageStartupMessages(library(brglm2))

counts <- rbind(
  # The reported case: 40 of 188 unexposed are cases, the single exposed subject is a case.
  data.frame(dataset = "single_case", x1 = c(0, 1), x2 = 0,
             trials = c(188, 1), successes = c(40, 1)),
  # Its mirror image: the single exposed subject is a control.
  data.frame(dataset = "single_control", x1 = c(0, 1), x2 = 0,
             trials = c(50, 1), successes = c(20, 0)),
  # Two exposures, main effects only (not saturated); the doubly exposed subject is a case.
  data.frame(dataset = "main_effects", x1 = c(0, 1, 0, 1), x2 = c(0, 0, 1, 1),
             trials = c(120, 30, 15, 1), successes = c(30, 12, 9, 1)),
  # Saturated interaction model with single-subject cells and an all-case cell.
  data.frame(dataset = "interaction", x1 = c(0, 1, 0, 1), x2 = c(0, 0, 1, 1),
             trials = c(60, 1, 1, 5), successes = c(15, 1, 0, 5))
)
write.csv(counts, file.path("tests", "reference", "batch_firth_data.csv"), row.names = FALSE)

formulas <- list(
  single_case = cbind(successes, trials - successes) ~ x1,
  single_control = cbind(successes, trials - successes) ~ x1,
  main_effects = cbind(successes, trials - successes) ~ x1 + x2,
  interaction = cbind(successes, trials - successes) ~ x1 * x2
)
coefficients <- do.call(rbind, lapply(names(formulas), function(name) {
  fit <- glm(formulas[[name]], family = binomial, data = counts[counts$dataset == name, ],
             method = "brglmFit", type = "AS_mean", epsilon = 1e-12, maxit = 500)
  s <- summary(fit)$coefficients
  data.frame(dataset = name, term = rownames(s), estimate = s[, 1], std_error = s[, 2],
             converged = fit$converged)
}))
rows <- read.csv(file.path("tests", "reference", "batch_firth_rows.csv"))
fit <- glm(y ~ x1 + x2 + x3 + x4, family = binomial, data = rows, method = "brglmFit",
           type = "AS_mean", epsilon = 1e-12, maxit = 500)
s <- summary(fit)$coefficients
coefficients <- rbind(coefficients, data.frame(
  dataset = "continuous_separated", term = rownames(s), estimate = s[, 1], std_error = s[, 2],
  converged = fit$converged
))
write.csv(coefficients, file.path("tests", "reference", "batch_firth_coefficients.csv"),
          row.names = FALSE)
writeLines(sprintf("R %s; brglm2 %s", getRversion(), packageVersion("brglm2")),
           file.path("tests", "reference", "batch_firth_versions.txt"))
