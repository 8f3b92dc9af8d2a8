# Reference values for tests/test_stratified.py, test_conditional.py, test_grouped.py,
# test_trend.py, test_power_designs.py and test_r_defaults.py.
# Run from the repository root:  Rscript tests/reference/designs.R
# Writes tests/reference/designs.csv (long form: case, quantity, value) and the data sets
# the tests read:
#   tests/reference/infert.csv   R datasets::infert (Trichopoulos et al. 1976, secondary
#                                infertility after abortion; matched sets in `stratum`).
#   tests/reference/esoph.csv    R datasets::esoph (Tuyns et al. 1977, Ille-et-Vilaine
#                                oesophageal cancer; grouped counts ncases / ncontrols).
#   tests/reference/ucb_admissions.csv  R datasets::UCBAdmissions (Bickel et al. 1975) as
#                                a frequency frame (Admit, Gender, Dept, Freq).
#
# Sources of each quantity:
#   stats::mantelhaen.test (correct = TRUE and FALSE): MH odds ratio, Robins-Breslow-Greenland
#     interval, CMH statistic and p. The Breslow-Day statistic with Tarone's correction has no
#     base-R function; it is computed below from its definition (expected exposed-case count
#     under the MH odds ratio, from the quadratic, as in Breslow and Day 1980 section 4.4).
#   survival::clogit (method = "exact"): coefficients, SE, Wald p, log-likelihoods, LR test;
#     profile-likelihood limits solved here with uniroot on clogit fits with an offset.
#   stats::glm(cbind(ncases, ncontrols) ~ ..., binomial): coefficients, SE, z p,
#     confint.default (Wald) and profile limits (MASS::confint.glm / stats in R >= 4.4);
#     logLik of the same model on the expanded one-row-per-subject data.
#   epiR::epi.sscc(method = "matched", nfractional = TRUE): Dupont (1988) matched designs,
#     with the two-sided power (both rejection tails) written out beside it; the
#     Mantel-Haenszel power of stratified designs (Woolson et al. 1986) written out.
#   stats::wilcox.test (exact and normal approximation), stats::fisher.test on r x c
#   tables, stats::prop.trend.test, stats::mcnemar.test, stats::binom.test (exact interval
#   of the matched-pair odds ratio).
suppressMessages({
  library(survival)
  library(epiR)
  library(MASS)
})
out <- list()
put <- function(case, quantity, value) {
  out[[length(out) + 1]] <<- data.frame(case = case, quantity = quantity,
                                        value = sprintf("%.17g", as.numeric(value)))
}
dir <- "tests/reference"

# ------------------------------------------------------------------ data sets
write.csv(infert, file.path(dir, "infert.csv"), row.names = FALSE)
esoph_plain <- data.frame(
  agegp = as.character(esoph$agegp), alcgp = as.character(esoph$alcgp),
  tobgp = as.character(esoph$tobgp), ncases = esoph$ncases, ncontrols = esoph$ncontrols
)
write.csv(esoph_plain, file.path(dir, "esoph.csv"), row.names = FALSE)
ucb <- as.data.frame(UCBAdmissions)
write.csv(ucb, file.path(dir, "ucb_admissions.csv"), row.names = FALSE)

# ------------------------------------------------------------------ stratified 2x2
breslow_day <- function(tab, or) {
  # tab: 2 x 2 x K, [exposure (yes, no), outcome (case, control), stratum]
  stat <- 0; sum_a <- 0; sum_e <- 0; sum_v <- 0
  for (k in seq_len(dim(tab)[3])) {
    t <- tab[, , k]
    a <- t[1, 1]; m1 <- t[1, 1] + t[2, 1]; n1 <- t[1, 1] + t[1, 2]; N <- sum(t)
    # a_e (N - m1 - n1 + a_e) = or (m1 - a_e)(n1 - a_e)
    qa <- 1 - or
    qb <- (N - m1 - n1) + or * (m1 + n1)
    qc <- -or * m1 * n1
    roots <- if (abs(qa) < 1e-15) -qc / qb else (-qb + c(-1, 1) * sqrt(qb^2 - 4 * qa * qc)) / (2 * qa)
    lo <- max(0, m1 + n1 - N); hi <- min(m1, n1)
    e <- roots[roots >= lo - 1e-9 & roots <= hi + 1e-9][1]
    v <- 1 / (1 / e + 1 / (m1 - e) + 1 / (n1 - e) + 1 / (N - m1 - n1 + e))
    stat <- stat + (a - e)^2 / v
    sum_a <- sum_a + a; sum_e <- sum_e + e; sum_v <- sum_v + v
  }
  c(bd = stat, tarone = stat - (sum_a - sum_e)^2 / sum_v)
}
stratified_case <- function(name, tab) {
  for (correct in c(TRUE, FALSE)) {
    test <- mantelhaen.test(tab, correct = correct)
    suffix <- if (correct) "_cc" else ""
    put(name, paste0("cmh_statistic", suffix), test$statistic)
    put(name, paste0("cmh_p", suffix), test$p.value)
  }
  put(name, "mh_or", test$estimate)
  put(name, "mh_ci_low", test$conf.int[1])
  put(name, "mh_ci_high", test$conf.int[2])
  bd <- breslow_day(tab, unname(test$estimate))
  K <- dim(tab)[3]
  put(name, "breslow_day", bd["bd"])
  put(name, "breslow_day_tarone", bd["tarone"])
  put(name, "breslow_day_tarone_p", pchisq(bd["tarone"], K - 1, lower.tail = FALSE))
  crude <- apply(tab, c(1, 2), sum)
  put(name, "crude_or", crude[1, 1] * crude[2, 2] / (crude[1, 2] * crude[2, 1]))
}
# esoph: exposure = alcohol >= 40 g/day, strata = age group
esoph_exposed <- esoph_plain$alcgp != "0-39g/day"
ages <- sort(unique(esoph_plain$agegp))
tab <- array(0, c(2, 2, length(ages)))
for (k in seq_along(ages)) {
  rows <- esoph_plain$agegp == ages[k]
  tab[1, 1, k] <- sum(esoph_plain$ncases[rows & esoph_exposed])
  tab[2, 1, k] <- sum(esoph_plain$ncases[rows & !esoph_exposed])
  tab[1, 2, k] <- sum(esoph_plain$ncontrols[rows & esoph_exposed])
  tab[2, 2, k] <- sum(esoph_plain$ncontrols[rows & !esoph_exposed])
}
stratified_case("esoph_alcohol_by_age", tab)
# UCBAdmissions: exposure = Male, outcome = Admitted, strata = Dept
# (Gender x Admit x Dept: Male / Female by Admitted / Rejected)
stratified_case("ucb_admissions", aperm(UCBAdmissions, c(2, 1, 3)))

# ------------------------------------------------------------------ conditional logistic
profile_limits <- function(formula_rest, data, term, fit, strata_name) {
  b <- coef(fit)[term]; se <- sqrt(vcov(fit)[term, term])
  full <- fit$loglik[2]
  others <- setdiff(names(coef(fit)), term)
  drop <- function(value) {
    data$.off <- value * data[[term]]
    rhs <- paste(c(others, "offset(.off)", paste0("strata(", strata_name, ")")), collapse = " + ")
    f <- clogit(as.formula(paste("case ~", rhs)), data = data, method = "exact")
    ll <- if (length(others)) f$loglik[2] else f$loglik[1]
    2 * (full - ll) - qchisq(0.95, 1)
  }
  c(uniroot(drop, c(b - 8 * se, b), tol = 1e-11)$root,
    uniroot(drop, c(b, b + 8 * se), tol = 1e-11)$root)
}
clogit_case <- function(name, strata_name) {
  f <- as.formula(paste("case ~ spontaneous + induced + strata(", strata_name, ")"))
  fit <- clogit(f, data = infert, method = "exact")
  s <- summary(fit)$coefficients
  ci <- confint(fit)
  for (term in rownames(s)) {
    put(name, paste0(term, "_coef"), s[term, "coef"])
    put(name, paste0(term, "_se"), s[term, "se(coef)"])
    put(name, paste0(term, "_p"), s[term, "Pr(>|z|)"])
    put(name, paste0(term, "_wald_low"), exp(ci[term, 1]))
    put(name, paste0(term, "_wald_high"), exp(ci[term, 2]))
    lim <- profile_limits(NULL, infert, term, fit, strata_name)
    put(name, paste0(term, "_profile_low"), exp(lim[1]))
    put(name, paste0(term, "_profile_high"), exp(lim[2]))
  }
  put(name, "loglik_null", fit$loglik[1])
  put(name, "loglik", fit$loglik[2])
  lr <- 2 * (fit$loglik[2] - fit$loglik[1])
  put(name, "lr_statistic", lr)
  put(name, "lr_p", pchisq(lr, 2, lower.tail = FALSE))
}
clogit_case("infert_stratum", "stratum")          # 1:M sets, one case each
clogit_case("infert_pooled", "pooled.stratum")    # several cases per set

# McNemar and the matched-pair odds ratio (R's mcnemar.test example, Agresti 1990 p. 350)
performance <- matrix(c(794, 86, 150, 570), nrow = 2)
for (correct in c(TRUE, FALSE)) {
  test <- mcnemar.test(performance, correct = correct)
  put("mcnemar", if (correct) "statistic_cc" else "statistic", test$statistic)
  put("mcnemar", if (correct) "p_cc" else "p", test$p.value)
}
# discordant pairs: case exposed / control not = 150, case not / control exposed = 86
ci <- binom.test(150, 236)$conf.int
put("mcnemar", "pair_or", 150 / 86)
put("mcnemar", "pair_or_low", ci[1] / (1 - ci[1]))
put("mcnemar", "pair_or_high", ci[2] / (1 - ci[2]))
put("mcnemar", "exact_p", binom.test(150, 236)$p.value)

# ------------------------------------------------------------------ grouped records
esoph_unordered <- esoph_plain
for (v in c("agegp", "alcgp", "tobgp")) esoph_unordered[[v]] <- factor(esoph_unordered[[v]])
fit <- glm(cbind(ncases, ncontrols) ~ agegp + alcgp + tobgp, binomial, data = esoph_unordered)
# MASS's confint interpolates the profile on a grid (about 1e-4 relative); the limits are
# re-solved here with uniroot on the profile deviance, so that the tests can use 1e-6.
mm <- model.matrix(fit)
resp <- cbind(esoph_unordered$ncases, esoph_unordered$ncontrols)
profile_exact <- function(j) {
  b <- coef(fit)[j]; se <- sqrt(vcov(fit)[j, j])
  gap <- function(value) {
    f <- glm.fit(mm[, -j, drop = FALSE], resp, family = binomial(), offset = value * mm[, j],
                 control = glm.control(epsilon = 1e-14, maxit = 100))
    f$deviance - deviance(fit) - qchisq(0.95, 1)
  }
  c(uniroot(gap, c(b - 10 * se, b), tol = 1e-12)$root, uniroot(gap, c(b, b + 10 * se), tol = 1e-12)$root)
}
fit <- update(fit, control = glm.control(epsilon = 1e-14, maxit = 100))
prof <- t(sapply(seq_along(coef(fit)), profile_exact))
rownames(prof) <- names(coef(fit))
prof_mass <- suppressMessages(confint(fit))
stopifnot(max(abs(prof / prof_mass - 1)) < 1e-2)
s <- summary(fit)$coefficients
wald <- confint.default(fit)
for (term in rownames(s)) {
  put("esoph_glm", paste0(term, "|coef"), s[term, 1])
  put("esoph_glm", paste0(term, "|se"), s[term, 2])
  put("esoph_glm", paste0(term, "|p"), s[term, 4])
  put("esoph_glm", paste0(term, "|wald_low"), exp(wald[term, 1]))
  put("esoph_glm", paste0(term, "|wald_high"), exp(wald[term, 2]))
  put("esoph_glm", paste0(term, "|profile_low"), exp(prof[term, 1]))
  put("esoph_glm", paste0(term, "|profile_high"), exp(prof[term, 2]))
}
rows <- rep(seq_len(nrow(esoph_unordered)), esoph_unordered$ncases + esoph_unordered$ncontrols)
expanded <- esoph_unordered[rows, c("agegp", "alcgp", "tobgp")]
expanded$case <- unlist(mapply(function(a, b) c(rep(1, a), rep(0, b)),
                               esoph_unordered$ncases, esoph_unordered$ncontrols))
fit_expanded <- glm(case ~ agegp + alcgp + tobgp, binomial, data = expanded)
put("esoph_glm", "loglik_expanded", logLik(fit_expanded))
put("esoph_glm", "max_coef_gap_expanded", max(abs(coef(fit_expanded) - coef(fit))))

# ------------------------------------------------------------------ trend
smokers <- c(83, 90, 129, 70)
patients <- c(86, 93, 136, 82)
test <- prop.trend.test(smokers, patients)
put("trend_smokers", "statistic", test$statistic)
put("trend_smokers", "p", test$p.value)
test <- prop.trend.test(smokers, patients, score = c(0, 1, 2, 4))
put("trend_smokers_scores", "statistic", test$statistic)
put("trend_smokers_scores", "p", test$p.value)
alcohol <- levels(esoph$alcgp)  # ordered bands, not alphabetical
cases <- tapply(esoph_plain$ncases, esoph_plain$alcgp, sum)[alcohol]
controls <- tapply(esoph_plain$ncontrols, esoph_plain$alcgp, sum)[alcohol]
test <- prop.trend.test(cases, cases + controls)
put("trend_esoph_alcohol", "statistic", test$statistic)
put("trend_esoph_alcohol", "p", test$p.value)
for (k in 2:4) {
  or <- cases[k] * controls[1] / (cases[1] * controls[k])
  se <- sqrt(1 / cases[k] + 1 / controls[1] + 1 / cases[1] + 1 / controls[k])
  put("trend_esoph_alcohol", paste0("or_", k), or)
  put("trend_esoph_alcohol", paste0("or_low_", k), exp(log(or) - qnorm(0.975) * se))
  put("trend_esoph_alcohol", paste0("or_high_", k), exp(log(or) + qnorm(0.975) * se))
}

# ------------------------------------------------------------------ matched power (Dupont)
# epiR counts only the rejection tail on the side of the effect. Dupont's moments are
# written out here so that the two-sided power (both tails) can be computed beside it:
#   near = pnorm((s - t) / sqrt(V_psi)),  far = pnorm((-s - t) / sqrt(V_psi)),
#   s = sqrt(sets) |E_1 - E_psi|,  t = qnorm(1 - alpha / 2) sqrt(V_1).
# The near tail reproduces epiR's power (checked below); sizes and detectable odds ratios
# counting both tails are solved with uniroot at tol 1e-12.
dupont_moments <- function(or, p0, r, phi) {
  p1 <- or * p0 / (1 + p0 * (or - 1))
  spread <- sqrt(p1 * (1 - p1) * p0 * (1 - p0))
  p0_exposed <- (p1 * p0 + phi * spread) / p1
  p0_unexposed <- (p0 * (1 - p1) - phi * spread) / (1 - p1)
  m <- seq_len(r)
  t <- p1 * choose(r, m - 1) * p0_exposed^(m - 1) * (1 - p0_exposed)^(r - m + 1) +
    (1 - p1) * choose(r, m) * p0_unexposed^m * (1 - p0_unexposed)^(r - m)
  den <- m * or + r - m + 1
  c(e_psi = sum(m * t * or / den), e_one = sum(m * t / (r + 1)),
    v_psi = sum(m * t * or * (r - m + 1) / den^2), v_one = sum(m * t * (r - m + 1) / (r + 1)^2))
}
dupont_tails <- function(or, p0, sets, r, phi, alpha = 0.05) {
  mo <- dupont_moments(or, p0, r, phi)
  s <- sqrt(sets) * abs(mo[["e_one"]] - mo[["e_psi"]])
  t <- qnorm(1 - alpha / 2) * sqrt(mo[["v_one"]])
  c(near = pnorm((s - t) / sqrt(mo[["v_psi"]])), far = pnorm((-s - t) / sqrt(mo[["v_psi"]])))
}
grid <- expand.grid(or = c(2, 3), p0 = c(0.2, 0.35), r = c(1, 2, 4), phi = c(0, 0.2))
for (i in seq_len(nrow(grid))) {
  g <- grid[i, ]
  name <- sprintf("sscc_or%g_p%g_r%d_phi%g", g$or, g$p0, g$r, g$phi)
  size <- epi.sscc(OR = g$or, p0 = g$p0, n = NA, power = 0.8, r = g$r, phi.coef = g$phi,
                   sided.test = 2, conf.level = 0.95, method = "matched", nfractional = TRUE)
  put(name, "n_case", size$n.case)
  put(name, "n_total", size$n.total)
  two_sided_power <- function(or, sets) sum(dupont_tails(or, g$p0, sets, g$r, g$phi))
  put(name, "n_case_two_sided",
      uniroot(function(n) two_sided_power(g$or, n) - 0.8, c(size$n.case / 2, size$n.case),
              tol = 1e-12)$root)
  pw <- epi.sscc(OR = g$or, p0 = g$p0, n = 300, power = NA, r = g$r, phi.coef = g$phi,
                 sided.test = 2, conf.level = 0.95, method = "matched", nfractional = TRUE)
  sets <- 300 / (g$r + 1)
  tails <- dupont_tails(g$or, g$p0, sets, g$r, g$phi)
  stopifnot(abs(tails[["near"]] - pw$power) < 1e-12)
  put(name, "power_n300", pw$power)
  put(name, "far_tail_n300", tails[["far"]])
  put(name, "power_two_sided_n300", sum(tails))
  # epiR's detectable-OR branch searches up to 1e6, where the variance can be NaN for
  # some settings; those settings are skipped rather than reported.
  dor <- tryCatch(
    epi.sscc(OR = NA, p0 = g$p0, n = 300, power = 0.8, r = g$r, phi.coef = g$phi,
             sided.test = 2, conf.level = 0.95, method = "matched", nfractional = TRUE),
    error = function(e) NULL)
  if (!is.null(dor)) {
    put(name, "or_low_n300", dor$OR[1])
    put(name, "or_high_n300", dor$OR[2])
    gap <- function(or) two_sided_power(or, sets) - 0.8
    put(name, "or_low_two_sided_n300",
        uniroot(gap, c(0.8 * dor$OR[1], min(1, 1.2 * dor$OR[1])), tol = 1e-12)$root)
    put(name, "or_high_two_sided_n300",
        uniroot(gap, c(max(1, 0.8 * dor$OR[2]), 1.2 * dor$OR[2]), tol = 1e-12)$root)
  }
}

# ------------------------------------------------------------------ stratified power (CMH)
# Woolson, Bean and Rojas (1986): per case, stratum k has f_k cases and r f_k controls,
# w_k = f_k r / (1 + r); the CMH numerator has mean sum w_k (p1k - p0k), null variance
# sum w_k pbar_k qbar_k and alternative variance sum w_k^2 (p1k q1k / f_k + p0k q0k / (r f_k)).
# No R package computes it; the formula is written out and both tails are counted. With one
# stratum its near tail is epiR's unmatched (Fleiss) power, checked below.
cmh_tails <- function(or, p0, fractions, r, n_cases, alpha = 0.05) {
  fractions <- fractions / sum(fractions)
  p1 <- p0 * or / (1 + p0 * (or - 1))
  w <- fractions * r / (1 + r)
  pbar <- (p1 + r * p0) / (1 + r)
  mean <- sum(w * (p1 - p0))
  v0 <- sum(w * pbar * (1 - pbar))
  v1 <- sum(w^2 * (p1 * (1 - p1) / fractions + p0 * (1 - p0) / (r * fractions)))
  s <- sqrt(n_cases) * abs(mean)
  t <- qnorm(1 - alpha / 2) * sqrt(v0)
  c(near = pnorm((s - t) / sqrt(v1)), far = pnorm((-s - t) / sqrt(v1)))
}
strata_cases <- list(
  cmh_two_strata = list(or = 2, p0 = c(0.1, 0.3), fractions = c(1, 1), r = 1, n = 150),
  cmh_three_strata = list(or = 1.8, p0 = c(0.05, 0.2, 0.4), fractions = c(1, 2, 3), r = 2,
                          n = 120),
  cmh_protective = list(or = 0.5, p0 = c(0.3, 0.5), fractions = c(2, 1), r = 3, n = 90),
  cmh_one_stratum = list(or = 2.5, p0 = 0.25, fractions = 1, r = 2, n = 70)
)
for (name in names(strata_cases)) {
  k <- strata_cases[[name]]
  two_sided_power <- function(or, n) sum(cmh_tails(or, k$p0, k$fractions, k$r, n))
  tails <- cmh_tails(k$or, k$p0, k$fractions, k$r, k$n)
  put(name, "power", sum(tails))
  put(name, "far_tail", tails[["far"]])
  put(name, "n_cases", uniroot(function(n) two_sided_power(k$or, n) - 0.8, c(2, 1e5),
                               tol = 1e-12)$root)
  gap <- function(or) two_sided_power(or, k$n) - 0.8
  put(name, "or_high", uniroot(gap, c(1, 1e3), tol = 1e-12)$root)
  put(name, "or_low", uniroot(gap, c(1e-6, 1), tol = 1e-12)$root)
  if (length(k$p0) == 1) {
    # epiR's size and power branches put r on the case group: ask for r = 1 / r
    fleiss <- epi.sscc(OR = k$or, p0 = k$p0, n = k$n * (1 + k$r), power = NA, r = 1 / k$r,
                       sided.test = 2, conf.level = 0.95, nfractional = TRUE,
                       method = "unmatched", fleiss = FALSE)
    stopifnot(abs(fleiss$power - tails[["near"]]) < 1e-12)
    put(name, "epir_power", fleiss$power)
  }
}

# ------------------------------------------------------------------ R defaults
x <- c(0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46)
y <- c(1.15, 0.88, 0.90, 0.74, 1.21)
test <- wilcox.test(x, y)                               # exact: no ties, n < 50
put("wilcox_small", "statistic", test$statistic)
put("wilcox_small", "p", test$p.value)
put("wilcox_small", "p_normal", wilcox.test(x, y, exact = FALSE)$p.value)
x2 <- c(1, 2, 2, 3, 4, 5, 6); y2 <- c(3, 4, 4, 6, 7, 8)
test <- suppressWarnings(wilcox.test(x2, y2))           # ties: normal approximation
put("wilcox_ties", "statistic", test$statistic)
put("wilcox_ties", "p", test$p.value)

fisher_tables <- list(
  job = matrix(c(1, 2, 1, 0, 3, 3, 6, 1, 10, 10, 14, 9, 6, 7, 12, 11), 4, 4),
  small_3x3 = matrix(c(3, 1, 0, 1, 4, 1, 0, 2, 5), 3, 3),
  two_by_four = matrix(c(5, 12, 8, 6, 2, 9, 10, 1), 2, 4),
  strong_3x4 = matrix(c(25, 1, 0, 2, 22, 1, 0, 1, 24, 3, 2, 20), 3, 4),
  esoph_tobacco = rbind(tapply(esoph_plain$ncases, esoph_plain$tobgp, sum),
                        tapply(esoph_plain$ncontrols, esoph_plain$tobgp, sum))
)
for (name in names(fisher_tables)) {
  t <- fisher_tables[[name]]
  put(paste0("fisher_", name), "p", fisher.test(t, workspace = 2e8)$p.value)
  put(paste0("fisher_", name), "cells", paste(as.vector(t), collapse = ""))  # placeholder
}
res <- do.call(rbind, out)
res <- res[res$quantity != "cells", ]
write.csv(res, file.path(dir, "designs.csv"), row.names = FALSE)
fisher_cells <- do.call(rbind, lapply(names(fisher_tables), function(name) {
  t <- fisher_tables[[name]]
  data.frame(table = name, row = as.vector(row(t)), column = as.vector(col(t)),
             count = as.vector(t))
}))
write.csv(fisher_cells, file.path(dir, "designs_fisher_tables.csv"), row.names = FALSE)
writeLines(c(R.version.string, paste("epiR", packageVersion("epiR")),
             paste("survival", packageVersion("survival")),
             paste("MASS", packageVersion("MASS"))), file.path(dir, "designs_versions.txt"))
