# Reference values for tests/test_baseline.py, on MASS::birthwt grouped by smoke (0 first).
# Run from the repository root:  Rscript tests/reference/baseline.R
# Writes tests/reference/birthwt.csv (the data, shared with the logistic-regression tests) and
# tests/reference/baseline.csv (long form: variable, quantity, group, value).
#
# Sources: mean/sd/quantile(type = 1..9); t.test(var.equal = TRUE / FALSE);
# wilcox.test(exact = FALSE, correct = TRUE); shapiro.test; Levene's test with mean centring
# (as SPSS) written as the one-way ANOVA of |x - group mean|; chisq.test(correct = TRUE /
# FALSE); fisher.test (exact, any r x c); standardised mean differences written out as
# tableone defines them (continuous: |m1 - m0| / sqrt((s1^2 + s0^2) / 2); categorical:
# sqrt(t(p1 - p0) S^-1 (p1 - p0)) over the k - 1 non-reference level proportions, S the
# mean of the two multinomial covariance matrices, MASS::ginv as tableone uses).
suppressMessages(library(MASS))

data(birthwt)
bw <- birthwt
if (!file.exists("tests/reference/birthwt.csv")) {
  write.csv(bw, "tests/reference/birthwt.csv", row.names = FALSE)
}

rows <- list()
add <- function(variable, quantity, group, value) {
  rows[[length(rows) + 1]] <<- data.frame(
    variable = variable, quantity = quantity, group = group, value = value
  )
}

g <- bw$smoke
levels_g <- c(0, 1)

for (v in c("age", "lwt", "bwt", "ftv")) {
  x <- bw[[v]]
  for (level in levels_g) {
    xs <- x[g == level]
    add(v, "n", level, length(xs))
    add(v, "mean", level, mean(xs))
    add(v, "sd", level, sd(xs))
    add(v, "shapiro_p", level, shapiro.test(xs)$p.value)
    for (type in 1:9) {
      q <- quantile(xs, c(0.25, 0.5, 0.75), type = type, names = FALSE)
      add(v, paste0("q1_type", type), level, q[1])
      add(v, paste0("median_type", type), level, q[2])
      add(v, paste0("q3_type", type), level, q[3])
    }
  }
  add(v, "mean", "overall", mean(x))
  add(v, "sd", "overall", sd(x))
  q <- quantile(x, c(0.25, 0.5, 0.75), type = 7, names = FALSE)
  add(v, "median_type7", "overall", q[2])
  student <- t.test(x ~ g, var.equal = TRUE)
  welch <- t.test(x ~ g, var.equal = FALSE)
  wilcox <- suppressWarnings(wilcox.test(x ~ g, exact = FALSE, correct = TRUE))
  add(v, "student_t", "", unname(student$statistic))
  add(v, "student_p", "", student$p.value)
  add(v, "welch_t", "", unname(welch$statistic))
  add(v, "welch_p", "", welch$p.value)
  add(v, "mann_whitney_w", "", unname(wilcox$statistic))
  add(v, "mann_whitney_p", "", wilcox$p.value)
  levene <- anova(lm(abs(x - ave(x, g)) ~ factor(g)))
  add(v, "levene_p", "", levene[["Pr(>F)"]][1])
  m0 <- mean(x[g == 0]); m1 <- mean(x[g == 1])
  s0 <- sd(x[g == 0]); s1 <- sd(x[g == 1])
  add(v, "smd", "", abs(m1 - m0) / sqrt((s1^2 + s0^2) / 2))
}

categorical_smd <- function(x, g) {
  lev <- sort(unique(x))
  p0 <- sapply(lev, function(l) mean(x[g == 0] == l))[-1]
  p1 <- sapply(lev, function(l) mean(x[g == 1] == l))[-1]
  covariance <- function(p) { s <- -outer(p, p); diag(s) <- p * (1 - p); s }
  s <- (covariance(p0) + covariance(p1)) / 2
  diff <- p1 - p0
  sqrt(as.numeric(t(diff) %*% ginv(s) %*% diff))
}

for (v in c("low", "ht", "ui", "race", "ptl")) {
  x <- bw[[v]]
  for (level in levels_g) {
    for (l in sort(unique(x))) add(v, paste0("count_", l), level, sum(x[g == level] == l))
  }
  tab <- table(x, g)
  add(v, "chisq_yates_p", "", suppressWarnings(chisq.test(tab, correct = TRUE))$p.value)
  add(v, "chisq_p", "", suppressWarnings(chisq.test(tab, correct = FALSE))$p.value)
  add(v, "chisq_statistic", "", unname(suppressWarnings(chisq.test(tab, correct = FALSE))$statistic))
  add(v, "min_expected", "", min(suppressWarnings(chisq.test(tab))$expected))
  add(v, "fisher_p", "", fisher.test(tab)$p.value)
  add(v, "smd", "", categorical_smd(x, g))
}

# Unequal variances: birth weight grouped by low (Levene p < 0.05), for the Welch choice.
x <- bw$bwt; gl <- bw$low
add("bwt_by_low", "levene_p", "", anova(lm(abs(x - ave(x, gl)) ~ factor(gl)))[["Pr(>F)"]][1])
welch <- t.test(x ~ gl, var.equal = FALSE)
add("bwt_by_low", "welch_t", "", unname(welch$statistic))
add("bwt_by_low", "welch_p", "", welch$p.value)

out <- do.call(rbind, rows)
write.csv(out, "tests/reference/baseline.csv", row.names = FALSE)
cat(R.version.string, "\n")
