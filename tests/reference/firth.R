# Reference values for Firth's penalised logistic regression in tests/test_logistic.py.
#
# Run from the repository root:  Rscript tests/reference/firth.R
# Writes tests/reference/firth_*.csv and the data sets they come from.  The tests never call R.
#
# Estimates and standard errors come from brglm2 (method "brglmFit", type "AS_mean", which
# for logistic regression is Firth's Jeffreys-prior penalty).  logistf is not available, so
# its profile penalised-likelihood intervals and penalised likelihood-ratio p-values are
# computed here from a hand-written penalised log-likelihood: each profile point maximises it
# over the other coefficients with optim(BFGS, analytic gradient), and uniroot() finds where
# twice the drop from the maximum reaches qchisq(0.95, 1).  As in logistf, the penalty of a
# constrained fit is the full model's log|X'WX|.
suppressPackageStartupMessages(library(brglm2))

out_dir <- "tests/reference"
level <- 0.95
cutoff <- qchisq(level, 1)

penalised_loglik <- function(beta, X, y) {
  eta <- drop(X %*% beta)
  p <- plogis(eta)
  w <- p * (1 - p)
  sum(y * eta - log1p(exp(eta))) +
    0.5 * as.numeric(determinant(crossprod(X, w * X), logarithm = TRUE)$modulus)
}

modified_score <- function(beta, X, y) {
  eta <- drop(X %*% beta)
  p <- plogis(eta)
  w <- p * (1 - p)
  A <- sqrt(w) * X
  h <- rowSums((A %*% solve(crossprod(A))) * A)
  drop(crossprod(X, y - p + h * (0.5 - p)))
}

# maximum of the penalised log-likelihood with coefficient j held at `value`
constrained_max <- function(j, value, X, y, start) {
  free <- setdiff(seq_len(ncol(X)), j)
  full <- function(theta) {
    beta <- numeric(ncol(X))
    beta[free] <- theta
    beta[j] <- value
    beta
  }
  opt <- optim(start[free], function(theta) -penalised_loglik(full(theta), X, y),
               function(theta) -modified_score(full(theta), X, y)[free],
               method = "BFGS", control = list(reltol = 1e-16, maxit = 10000))
  gradient <- max(abs(modified_score(full(opt$par), X, y)[free]))
  if (gradient > 1e-5) stop("constrained fit did not converge: gradient ", gradient)
  -opt$value
}

firth_table <- function(formula, data, name) {
  fit <- glm(formula, family = binomial, data = data, method = "brglmFit", type = "AS_mean",
             control = list(epsilon = 1e-12, maxit = 500))
  X <- model.matrix(fit)
  y <- fit$y
  beta <- coef(fit)
  se <- sqrt(diag(vcov(fit)))
  top <- penalised_loglik(beta, X, y)
  z <- qnorm(1 - (1 - level) / 2)
  rows <- lapply(seq_along(beta), function(j) {
    f <- function(b) 2 * (top - constrained_max(j, b, X, y, beta)) - cutoff
    lower <- uniroot(f, c(beta[j] - 2 * se[j], beta[j]), extendInt = "downX", tol = 1e-11)$root
    upper <- uniroot(f, c(beta[j], beta[j] + 2 * se[j]), extendInt = "upX", tol = 1e-11)$root
    statistic <- 2 * (top - constrained_max(j, 0, X, y, beta))
    data.frame(dataset = name, term = names(beta)[j], estimate = beta[j], std_error = se[j],
               wald_low = beta[j] - z * se[j], wald_high = beta[j] + z * se[j],
               profile_low = lower, profile_high = upper,
               penalised_lrt = statistic, p_value = pchisq(statistic, 1, lower.tail = FALSE),
               penalised_loglik = top,
               loglik = sum(y * drop(X %*% beta) - log1p(exp(drop(X %*% beta)))))
  })
  do.call(rbind, rows)
}

# Heinze & Schemper (2002): quasi-complete separation on NV.
data(endometrial, package = "brglm2")
write.csv(endometrial, file.path(out_dir, "endometrial.csv"), row.names = FALSE)

# Complete separation: x alone splits the outcome at 5.5; z is noise.
toy <- data.frame(x = 1:10, z = c(3, 1, 4, 1, 5, 9, 2, 6, 5, 3),
                  y = c(0, 0, 0, 0, 0, 1, 1, 1, 1, 1))
write.csv(toy, file.path(out_dir, "firth_complete.csv"), row.names = FALSE)

# A 2x2 table with an empty cell: 10 exposed cases, 0 exposed controls,
# 5 unexposed cases, 20 unexposed controls.
zero_cell <- data.frame(exposed = rep(c(1, 1, 0, 0), c(10, 0, 5, 20)),
                        case = rep(c(1, 0, 1, 0), c(10, 0, 5, 20)))
write.csv(zero_cell, file.path(out_dir, "firth_zero_cell.csv"), row.names = FALSE)

result <- rbind(
  firth_table(HG ~ NV + PI + EH, endometrial, "endometrial"),
  firth_table(y ~ x + z, toy, "complete"),
  firth_table(case ~ exposed, zero_cell, "zero_cell")
)
write.csv(result, file.path(out_dir, "firth_coefficients.csv"), row.names = FALSE)

# The ML fit of the endometrial model diverges: with ever more iterations the NV estimate
# keeps growing while the others settle.
ml <- sapply(c(10, 25, 50), function(iterations) {
  coef(suppressWarnings(glm(HG ~ NV + PI + EH, family = binomial, data = endometrial,
                            control = glm.control(epsilon = 1e-300, maxit = iterations))))
})
write.csv(data.frame(term = rownames(ml), iter10 = ml[, 1], iter25 = ml[, 2], iter50 = ml[, 3]),
          file.path(out_dir, "firth_endometrial_ml_divergence.csv"), row.names = FALSE)
