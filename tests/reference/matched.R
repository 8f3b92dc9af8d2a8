# Reference values of the matched and stratified study specs (tests/test_matched_design.py).
# Run from the repository root:  Rscript tests/reference/matched.R
#
# Writes
#   tests/specs/infert_matched.csv  datasets::infert, one row per woman, with the matched-set
#                                  id `stratum` (83 sets: one case with two controls, one set
#                                  with one control; matched on age, education and parity).
#   tests/reference/matched.csv    long form (case, quantity, value):
#     infert_univariable_<term>, infert_multivariable_<term>:
#       survival::clogit(case ~ <terms> + strata(stratum), method = "exact"): coef, se,
#       odds ratio, Wald 95% limits (exp(confint)), Wald p, and the printed forms (or, ci, p)
#       copied into tests/specs/infert_matched.yaml; the multivariable model is
#       clogit(case ~ spontaneous + induced + strata(stratum)).
#     infert_sets: number of sets, controls per set (min, median, max).
#     esoph_alcohol40_by_age: the esoph microdata (src/neok2/data/esoph.csv) with exposure
#       alcohol >= 40 g/day, strata = age group: stats::mantelhaen.test (MH odds ratio,
#       Robins-Breslow-Greenland interval), the crude odds ratio, the Breslow-Day statistic
#       and p (from its definition, Breslow and Day 1980 section 4.4, as in designs.R), and
#       the exposed counts among cases and controls.
suppressMessages(library(survival))
out <- list()
put <- function(case, quantity, value) {
  out[[length(out) + 1]] <<- data.frame(case = case, quantity = quantity,
                                        value = as.character(value), stringsAsFactors = FALSE)
}
num <- function(x) sprintf("%.17g", as.numeric(x))
fmt_p <- function(p) ifelse(p < 0.001, "<0.001", sprintf("%.3f", p))

# ------------------------------------------------------------------ infert, matched
inf <- datasets::infert
matched <- data.frame(id = seq_len(nrow(inf)), case = inf$case,
                      education = as.character(inf$education), age = inf$age,
                      parity = inf$parity, induced = inf$induced,
                      spontaneous = inf$spontaneous, stratum = inf$stratum)
write.csv(matched, "tests/specs/infert_matched.csv", row.names = FALSE)

clogit_terms <- function(name, terms) {
  f <- as.formula(paste("case ~", paste(terms, collapse = " + "), "+ strata(stratum)"))
  fit <- clogit(f, data = matched, method = "exact")
  s <- summary(fit)$coefficients
  ci <- exp(confint(fit))
  for (term in terms) {
    case <- paste0("infert_", name, "_", term)
    put(case, "coef", num(s[term, "coef"]))
    put(case, "se", num(s[term, "se(coef)"]))
    put(case, "odds_ratio", num(exp(s[term, "coef"])))
    put(case, "ci_low", num(ci[term, 1]))
    put(case, "ci_high", num(ci[term, 2]))
    put(case, "p", num(s[term, "Pr(>|z|)"]))
    put(case, "or_printed", sprintf("%.2f", exp(s[term, "coef"])))
    put(case, "ci_printed", sprintf("%.2f-%.2f", ci[term, 1], ci[term, 2]))
    put(case, "p_printed", fmt_p(s[term, "Pr(>|z|)"]))
  }
}
clogit_terms("univariable", "spontaneous")
clogit_terms("univariable", "induced")
clogit_terms("multivariable", c("spontaneous", "induced"))
controls <- tapply(1 - matched$case, matched$stratum, sum)
put("infert_sets", "n_sets", length(controls))
put("infert_sets", "controls_min", min(controls))
put("infert_sets", "controls_median", median(controls))
put("infert_sets", "controls_max", max(controls))

# ------------------------------------------------------------------ esoph, stratified
breslow_day <- function(tab, or) {
  # tab: 2 x 2 x K, [exposure (yes, no), outcome (case, control), stratum]
  stat <- 0
  for (k in seq_len(dim(tab)[3])) {
    t <- tab[, , k]
    a <- t[1, 1]; m1 <- t[1, 1] + t[2, 1]; n1 <- t[1, 1] + t[1, 2]; N <- sum(t)
    qa <- 1 - or
    qb <- (N - m1 - n1) + or * (m1 + n1)
    qc <- -or * m1 * n1
    roots <- if (abs(qa) < 1e-15) -qc / qb else (-qb + c(-1, 1) * sqrt(qb^2 - 4 * qa * qc)) / (2 * qa)
    lo <- max(0, m1 + n1 - N); hi <- min(m1, n1)
    e <- roots[roots >= lo - 1e-9 & roots <= hi + 1e-9][1]
    v <- 1 / (1 / e + 1 / (m1 - e) + 1 / (n1 - e) + 1 / (N - m1 - n1 + e))
    stat <- stat + (a - e)^2 / v
  }
  stat
}
es <- read.csv("src/neok2/data/esoph.csv", stringsAsFactors = FALSE)
es$alcohol40 <- as.integer(es$alcgp != "0-39g/day")
tab <- table(factor(es$alcohol40, levels = c(1, 0)), factor(es$case, levels = c(1, 0)),
             es$agegp)
test <- mantelhaen.test(tab)
E <- "esoph_alcohol40_by_age"
put(E, "mh_or", num(test$estimate))
put(E, "mh_ci_low", num(test$conf.int[1]))
put(E, "mh_ci_high", num(test$conf.int[2]))
crude <- apply(tab, c(1, 2), sum)
put(E, "crude_or", num(crude[1, 1] * crude[2, 2] / (crude[1, 2] * crude[2, 1])))
# strata where the MH estimate is defined for the homogeneity test: every stratum with both
# exposure levels and both outcomes informs it; K' - 1 degrees of freedom
informative <- apply(tab, 3, function(t) all(rowSums(t) > 0) && all(colSums(t) > 0))
bd <- breslow_day(tab[, , informative, drop = FALSE], unname(test$estimate))
put(E, "breslow_day", num(bd))
put(E, "breslow_day_p", num(pchisq(bd, sum(informative) - 1, lower.tail = FALSE)))
put(E, "exposed_cases", crude[1, 1])
put(E, "exposed_controls", crude[1, 2])
put(E, "cases", sum(crude[, 1]))
put(E, "controls", sum(crude[, 2]))

write.csv(do.call(rbind, out), "tests/reference/matched.csv", row.names = FALSE)
writeLines(c(R.version.string, paste("survival", packageVersion("survival"))),
           "tests/reference/matched_versions.txt")
