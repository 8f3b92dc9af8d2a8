# Reference values for tests/test_logistic.py and tests/test_selection.py.
#
# Run from the repository root:  Rscript tests/reference/logistic.R
# Writes tests/reference/birthwt.csv (MASS::birthwt as shipped, if not already present) and
# tests/reference/logistic_*.csv.  The tests read the CSVs and never call R.
#
# Profile-likelihood intervals are written twice: as MASS's confint() prints them (a spline
# interpolation of the profile on a grid, so only accurate to about 1e-4) and as exact roots
# of the profile deviance found with uniroot() on glm() refits with an offset, an
# implementation independent of both MASS and neok2.
suppressPackageStartupMessages(library(MASS))

out_dir <- "tests/reference"
birthwt_path <- file.path(out_dir, "birthwt.csv")
if (!file.exists(birthwt_path)) {
  write.csv(MASS::birthwt, birthwt_path, row.names = FALSE)
}
bw <- read.csv(birthwt_path)
bw$race <- factor(bw$race)

level <- 0.95
cutoff <- qchisq(level, 1)

# Exact profile deviance for coefficient j: refit with that coefficient fixed through an offset.
profile_deviance <- function(fit, j, value) {
  X <- model.matrix(fit)
  y <- fit$y
  others <- X[, -j, drop = FALSE]
  refit <- glm.fit(others, y, family = binomial(), offset = value * X[, j],
                   control = glm.control(epsilon = 1e-14, maxit = 100))
  refit$deviance
}

exact_profile <- function(fit) {
  beta <- coef(fit)
  se <- sqrt(diag(vcov(fit)))
  dev0 <- deviance(fit)
  rows <- lapply(seq_along(beta), function(j) {
    f <- function(b) profile_deviance(fit, j, b) - dev0 - cutoff
    lower <- uniroot(f, c(beta[j] - 10 * se[j], beta[j]), tol = 1e-12)$root
    upper <- uniroot(f, c(beta[j], beta[j] + 10 * se[j]), tol = 1e-12)$root
    lrt <- profile_deviance(fit, j, 0) - dev0
    data.frame(profile_low_exact = lower, profile_high_exact = upper,
               lrt_p_value = pchisq(lrt, 1, lower.tail = FALSE))
  })
  do.call(rbind, rows)
}

coefficient_table <- function(fit, model) {
  s <- coef(summary(fit))
  wald <- confint.default(fit, level = level)
  prof <- suppressMessages(confint(fit, level = level))
  data.frame(model = model, term = rownames(s), estimate = s[, 1], std_error = s[, 2],
             wald_p_value = s[, 4], wald_low = wald[, 1], wald_high = wald[, 2],
             profile_low_mass = prof[, 1], profile_high_mass = prof[, 2],
             exact_profile(fit), row.names = NULL)
}

model_row <- function(fit, model) {
  data.frame(model = model, n = nobs(fit), events = sum(fit$y),
             n_missing = length(fit$na.action), loglik = as.numeric(logLik(fit)),
             aic = AIC(fit), deviance = deviance(fit), null_deviance = fit$null.deviance)
}

ctl <- glm.control(epsilon = 1e-14, maxit = 100)
full <- glm(low ~ age + lwt + race + smoke + ptl + ht + ui, family = binomial, data = bw,
            control = ctl)
coefs <- list(coefficient_table(full, "multivariable"))
models <- list(model_row(full, "multivariable"))
for (v in c("age", "lwt", "race", "smoke", "ptl", "ht", "ui")) {
  fit <- glm(as.formula(paste("low ~", v)), family = binomial, data = bw, control = ctl)
  coefs[[length(coefs) + 1]] <- coefficient_table(fit, v)
  models[[length(models) + 1]] <- model_row(fit, v)
}

# The model the univariable screen at p < 0.1 selects (age and ftv fail it).
screened <- glm(low ~ lwt + race + smoke + ptl + ht + ui, family = binomial, data = bw,
                control = ctl)
coefs[[length(coefs) + 1]] <- coefficient_table(screened, "screened")
models[[length(models) + 1]] <- model_row(screened, "screened")

# Missing values: blank age in rows 3, 10, 50 and lwt in row 10; glm drops 3 rows (na.omit).
bw_missing <- bw
bw_missing$age[c(3, 10, 50)] <- NA
bw_missing$lwt[c(10)] <- NA
write.csv(transform(bw_missing, race = as.integer(as.character(race))),
          file.path(out_dir, "logistic_birthwt_missing.csv"), row.names = FALSE, na = "")
with_missing <- glm(low ~ age + lwt + smoke, family = binomial, data = bw_missing,
                    control = ctl)
coefs[[length(coefs) + 1]] <- coefficient_table(with_missing, "missing")
models[[length(models) + 1]] <- model_row(with_missing, "missing")

write.csv(do.call(rbind, coefs), file.path(out_dir, "logistic_birthwt_coefficients.csv"),
          row.names = FALSE)
write.csv(do.call(rbind, models), file.path(out_dir, "logistic_birthwt_models.csv"),
          row.names = FALSE)

d1 <- drop1(full, test = "LRT")
write.csv(data.frame(term = rownames(d1), df = d1$Df, deviance = d1$Deviance, aic = d1$AIC,
                     lrt = d1$LRT, p_value = d1$`Pr(>Chi)`),
          file.path(out_dir, "logistic_birthwt_drop1.csv"), row.names = FALSE, na = "")

# stepwise AIC selection, both directions, with ftv as an extra candidate
step_formula <- low ~ age + lwt + race + smoke + ptl + ht + ui + ftv
backward <- step(glm(step_formula, family = binomial, data = bw, control = ctl),
                 direction = "backward", trace = 0)
forward <- step(glm(low ~ 1, family = binomial, data = bw, control = ctl),
                scope = list(lower = ~1, upper = step_formula), direction = "forward",
                trace = 0)
step_table <- function(fit, direction) {
  a <- fit$anova
  data.frame(direction = direction, step = seq_len(nrow(a)) - 1L,
             label = trimws(as.character(a$Step)), df = a$Df, deviance = a$Deviance,
             resid_df = a$`Resid. Df`, resid_dev = a$`Resid. Dev`, aic = a$AIC)
}
write.csv(rbind(step_table(backward, "backward"), step_table(forward, "forward")),
          file.path(out_dir, "logistic_birthwt_step.csv"), row.names = FALSE, na = "")

# Likelihood-ratio tests along the paths of backward and forward selection by p-value, from
# R's own drop1()/add1(): the tests check that each step takes the extreme p-value.
lrt_table <- function(tests, model, kind) {
  keep <- rownames(tests) != "<none>"
  data.frame(kind = kind, model = model, term = rownames(tests)[keep],
             p_value = tests$`Pr(>Chi)`[keep])
}
backward_models <- c("low ~ age + lwt + race + smoke + ptl + ht + ui + ftv",
                     "low ~ age + lwt + race + smoke + ptl + ht + ui",
                     "low ~ lwt + race + smoke + ptl + ht + ui",
                     "low ~ lwt + race + smoke + ht + ui")
forward_models <- c("low ~ 1", "low ~ ptl", "low ~ ptl + lwt", "low ~ ptl + lwt + ht")
lrt_rows <- list()
for (m in backward_models) {
  fit <- glm(as.formula(m), family = binomial, data = bw, control = ctl)
  lrt_rows[[length(lrt_rows) + 1]] <- lrt_table(drop1(fit, test = "LRT"), m, "drop1")
}
for (m in forward_models) {
  fit <- glm(as.formula(m), family = binomial, data = bw, control = ctl)
  lrt_rows[[length(lrt_rows) + 1]] <- lrt_table(add1(fit, scope = step_formula, test = "LRT"),
                                                m, "add1")
}
write.csv(do.call(rbind, lrt_rows), file.path(out_dir, "logistic_birthwt_step_lrt.csv"),
          row.names = FALSE)
