# Reference values for tests/test_contingency.py.
# Run from the repository root:  Rscript tests/reference/contingency.R
# Writes tests/reference/contingency.csv (long form: table, a, b, c, d, quantity, value).
#
# Cell names follow neok2: a = exposed cases, b = unexposed cases, c = exposed controls,
# d = unexposed controls. epiR wants rows = exposure (+, -), columns = outcome (+, -).
#
# Sources of each quantity:
#   epiR::epi.2by2 (method = "case.control"): Woolf (Wald) and score intervals, chi-square
#     with and without Yates, Fisher p;  epiR::epi.2by2 (method = "cohort.count", units = 1):
#     risk ratio (Wald on log RR) and risk difference (Wald).
#   stats::fisher.test: conditional MLE and exact interval (R's default uniroot tolerance,
#     about 1e-4 absolute on the search scale), stats::chisq.test with correct = TRUE/FALSE.
#   The same fisher.test equations re-solved here with uniroot(tol = 1e-13) ("*_tight"), and
#   the mid-p interval (as epitools::oddsratio.midp defines it) and the score interval
#   (the equation epiR:::zlimit searches on a 0.1% grid) solved the same way, so that the
#   Python code can be held to 1e-6 rather than to R's search tolerance.
suppressMessages(library(epiR))

tables <- list(
  caesarean = c(50, 16, 68, 66),
  sga = c(12, 54, 6, 128),
  gestational_diabetes = c(17, 49, 15, 119),
  prom = c(18, 48, 17, 117),
  antenatal_steroid = c(25, 41, 13, 121),
  placental_abnormality = c(6, 60, 5, 129),
  zero_cell = c(0, 12, 6, 30)
)

conf <- 0.95
alpha <- 1 - conf
tol <- 1e-13

# Noncentral hypergeometric distribution of the exposed-case count given the margins,
# written as fisher.test writes it.
nhyper <- function(a, b, c, d) {
  m <- a + b          # cases
  n <- c + d          # controls
  k <- a + c          # exposed
  support <- max(0, k - n):min(k, m)
  logdc <- dhyper(support, m, n, k, log = TRUE)
  density <- function(ncp) {
    d <- logdc + log(ncp) * support
    d <- exp(d - max(d))
    d / sum(d)
  }
  list(support = support, density = density)
}

root_log <- function(f) exp(uniroot(function(t) f(exp(t)), c(-30, 30), tol = tol)$root)

exact_limits <- function(a, b, c, d, mid) {
  h <- nhyper(a, b, c, d)
  w <- if (mid) 0.5 else 1
  upper_tail <- function(ncp) { p <- h$density(ncp); sum(p[h$support > a]) + w * p[h$support == a] }
  lower_tail <- function(ncp) { p <- h$density(ncp); sum(p[h$support < a]) + w * p[h$support == a] }
  low <- if (a == min(h$support)) 0 else root_log(function(x) upper_tail(x) - alpha / 2)
  high <- if (a == max(h$support)) Inf else root_log(function(x) lower_tail(x) - alpha / 2)
  mle <- if (a == min(h$support)) 0 else if (a == max(h$support)) Inf else
    root_log(function(x) sum(h$support * h$density(x)) - a)
  c(mle, low, high)
}

# Score statistic of epiR:::zlimit (exposed rows as the two binomials), solved exactly.
score_stat <- function(theta, x1, n1, x2, n2) {
  px <- x1 / n1
  qa <- n2 * (theta - 1)
  qb <- n1 * theta + n2 - (x1 + x2) * (theta - 1)
  qc <- -(x1 + x2)
  p2d <- (-qb + sqrt(qb^2 - 4 * qa * qc)) / (2 * qa)
  p1d <- p2d * theta / (1 + p2d * (theta - 1))
  ((n1 * (px - p1d))^2) * (1 / (n1 * p1d * (1 - p1d)) + 1 / (n2 * p2d * (1 - p2d)))
}
score_limits <- function(a, b, c, d) {
  x1 <- a; n1 <- a + c; x2 <- b; n2 <- b + d
  z2 <- qchisq(conf, 1)
  f <- function(theta) score_stat(theta, x1, n1, x2, n2) - z2
  est <- (a * d) / (b * c)
  if (a == 0 || d == 0) {
    low <- 0
    high <- root_log(f)
  } else if (b == 0 || c == 0) {
    low <- root_log(f)
    high <- Inf
  } else {
    low <- exp(uniroot(function(t) f(exp(t)), c(-30, log(est)), tol = tol)$root)
    high <- exp(uniroot(function(t) f(exp(t)), c(log(est), 30), tol = tol)$root)
  }
  c(low, high)
}

rows <- list()
add <- function(name, cells, quantity, value) {
  rows[[length(rows) + 1]] <<- data.frame(
    table = name, a = cells[1], b = cells[2], c = cells[3], d = cells[4],
    quantity = quantity, value = value
  )
}

for (name in names(tables)) {
  cells <- tables[[name]]
  a <- cells[1]; b <- cells[2]; c <- cells[3]; d <- cells[4]
  epi_table <- as.table(matrix(c(a, c, b, d), nrow = 2, byrow = TRUE))
  x <- suppressWarnings(epi.2by2(epi_table, method = "case.control", conf.level = conf))
  detail <- x$massoc.detail
  add(name, cells, "epir_or_wald", detail$OR.strata.wald$est)
  add(name, cells, "epir_or_wald_low", detail$OR.strata.wald$lower)
  add(name, cells, "epir_or_wald_high", detail$OR.strata.wald$upper)
  add(name, cells, "epir_or_score_low", detail$OR.strata.score$lower)
  add(name, cells, "epir_or_score_high", detail$OR.strata.score$upper)
  add(name, cells, "epir_chisq", detail$chi2.strata.uncor$test.statistic)
  add(name, cells, "epir_p_chisq", detail$chi2.strata.uncor$p.value.2s)
  add(name, cells, "epir_p_yates", detail$chi2.strata.yates$p.value.2s)
  add(name, cells, "epir_p_fisher", detail$chi2.strata.fisher$p.value.2s)

  ft <- fisher.test(matrix(c(a, b, c, d), nrow = 2))
  add(name, cells, "fisher_estimate", unname(ft$estimate))
  add(name, cells, "fisher_low", ft$conf.int[1])
  add(name, cells, "fisher_high", ft$conf.int[2])
  add(name, cells, "fisher_p", ft$p.value)

  chi <- suppressWarnings(chisq.test(matrix(c(a, b, c, d), nrow = 2), correct = FALSE))
  yates <- suppressWarnings(chisq.test(matrix(c(a, b, c, d), nrow = 2), correct = TRUE))
  add(name, cells, "chisq_statistic", unname(chi$statistic))
  add(name, cells, "chisq_p", chi$p.value)
  add(name, cells, "yates_statistic", unname(yates$statistic))
  add(name, cells, "yates_p", yates$p.value)

  tight <- exact_limits(a, b, c, d, mid = FALSE)
  add(name, cells, "exact_mle_tight", tight[1])
  add(name, cells, "exact_low_tight", tight[2])
  add(name, cells, "exact_high_tight", tight[3])
  midp <- exact_limits(a, b, c, d, mid = TRUE)
  add(name, cells, "midp_low_tight", midp[2])
  add(name, cells, "midp_high_tight", midp[3])
  score <- score_limits(a, b, c, d)
  add(name, cells, "score_low_tight", score[1])
  add(name, cells, "score_high_tight", score[2])

  # Haldane-Anscombe: 0.5 added to every cell, then epiR's own Woolf function.
  haldane <- epiR:::zORwald(epi_table + 0.5, conf)
  add(name, cells, "haldane_or", haldane[1])
  add(name, cells, "haldane_low", haldane[2])
  add(name, cells, "haldane_high", haldane[3])

  cohort <- suppressWarnings(
    epi.2by2(epi_table, method = "cohort.count", conf.level = conf, units = 1)
  )$massoc.detail
  add(name, cells, "epir_rr", cohort$RR.strata.wald$est)
  add(name, cells, "epir_rr_low", cohort$RR.strata.wald$lower)
  add(name, cells, "epir_rr_high", cohort$RR.strata.wald$upper)
  add(name, cells, "epir_rd", cohort$ARisk.strata.wald$est)
  add(name, cells, "epir_rd_low", cohort$ARisk.strata.wald$lower)
  add(name, cells, "epir_rd_high", cohort$ARisk.strata.wald$upper)
}

out <- do.call(rbind, rows)
write.csv(out, "tests/reference/contingency.csv", row.names = FALSE)
cat(R.version.string, "; epiR", as.character(packageVersion("epiR")), "\n")
