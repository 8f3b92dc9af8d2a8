# Reference values for the mid-p row of odds_ratio_2x2 (tests/test_contingency.py).
# Run from the repository root:  Rscript tests/reference/contingency_midp.R
# Writes tests/reference/contingency_midp.csv: table, a, b, c, d, quantity, value.
#
# epitools::oddsratio.midp reports the median-unbiased estimate with the mid-p interval.
# epitools is not installed here, so its definitions are written out: with X the
# exposed-case count given the margins (noncentral hypergeometric, odds ratio psi),
#   estimate: P(X < a) + P(X = a) / 2 = 1/2 (equivalently P(X > a) + P(X = a) / 2 = 1/2);
#   lower limit: P(X > a) + P(X = a) / 2 = alpha / 2;  upper: P(X < a) + P(X = a) / 2 = alpha / 2.
# (exact_low/exact_high: the same with P(X = a) counted whole, as fisher.test.)
# The density is built from choose() on the full support, not from dhyper, so that this
# script shares no code path with the Python implementation (which uses a log-pmf window).
# Cells: a = exposed cases, b = unexposed cases, c = exposed controls, d = unexposed controls.

tables <- list(
  small = c(2, 8, 6, 6),
  small_reverse = c(7, 3, 4, 9),
  tiny = c(1, 4, 3, 2),
  caesarean = c(50, 16, 68, 66),
  sga = c(12, 54, 6, 128),
  placental_abnormality = c(6, 60, 5, 129),
  zero_cell = c(0, 12, 6, 30),
  # large enough that the Python code works on a window of the support, not all of it
  large = c(10000, 10000, 10000, 20000)
)
alpha <- 0.05
tol <- 1e-13

midp_reference <- function(a, b, c, d) {
  cases <- a + b; controls <- c + d; exposed <- a + c
  x <- max(0, exposed - controls):min(exposed, cases)
  # lchoose keeps the central weights finite for the larger tables
  log_weight <- lchoose(cases, x) + lchoose(controls, exposed - x)
  density <- function(psi) {
    w <- log_weight + log(psi) * x
    w <- exp(w - max(w))
    w / sum(w)
  }
  below <- function(psi) { p <- density(psi); sum(p[x < a]) + 0.5 * p[x == a] }
  above <- function(psi) { p <- density(psi); sum(p[x > a]) + 0.5 * p[x == a] }
  solve <- function(f) exp(uniroot(function(t) f(exp(t)), c(-30, 30), tol = tol)$root)
  at_min <- a == min(x); at_max <- a == max(x)
  estimate <- if (at_min) 0 else if (at_max) Inf else solve(function(p) below(p) - 0.5)
  low <- if (at_min) 0 else solve(function(p) above(p) - alpha / 2)
  high <- if (at_max) Inf else solve(function(p) below(p) - alpha / 2)
  mle <- if (at_min) 0 else if (at_max) Inf else solve(function(p) sum(x * density(p)) - a)
  # Fisher's exact limits (fisher.test's equations), for the exact row on large tables
  exact_low <- if (at_min) 0 else
    solve(function(p) { q <- density(p); sum(q[x >= a]) - alpha / 2 })
  exact_high <- if (at_max) Inf else
    solve(function(p) { q <- density(p); sum(q[x <= a]) - alpha / 2 })
  c(midp_estimate = estimate, midp_low = low, midp_high = high, conditional_mle = mle,
    exact_low = exact_low, exact_high = exact_high)
}

rows <- list()
for (name in names(tables)) {
  cells <- tables[[name]]
  values <- do.call(midp_reference, as.list(cells))
  rows[[name]] <- data.frame(
    table = name, a = cells[1], b = cells[2], c = cells[3], d = cells[4],
    quantity = names(values), value = unname(values)
  )
}
out <- do.call(rbind, rows)
write.csv(out, "tests/reference/contingency_midp.csv", row.names = FALSE)
print(out[out$quantity %in% c("midp_estimate", "conditional_mle"), ], digits = 10)
