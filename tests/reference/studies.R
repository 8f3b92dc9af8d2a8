# Microdata and computed "published" tables of the two worked-example studies.
# Run from the repository root:  Rscript tests/reference/studies.R
#
# Writes
#   src/neok2/data/birthwt.csv  MASS::birthwt, one row per birth (id = the original study id,
#                               kept by MASS as the row name), columns as in MASS.
#   src/neok2/data/esoph.csv    datasets::esoph expanded from its 88 grouped rows to one row
#                               per subject (200 cases, 775 controls): id, case, agegp,
#                               alcgp, tobgp.
#   tests/specs/infert.csv      datasets::infert (a third study, not shipped: its spec in
#                               tests/specs/infert.yaml is written from docs/spec.md alone).
#   tests/reference/studies_tables.csv  every printed value of the two specs' Table 1,
#                               univariable and multivariable tables, at journal precision
#                               (study, table, variable, level, field, printed).
#
# Conventions (the specs' `provenance` fields repeat them): counts n (%) with one decimal;
# mean±sd with one decimal; median (q1, q3) with R's default quantiles (type 7); Pearson
# chi-square without continuity correction; Student t-test (equal variances); Cochran-
# Armitage trend test (prop.trend.test) over level scores 1..k; odds ratios from glm(binomial)
# with Wald 95% intervals (exp(confint.default)); joint tests of multi-level terms are
# likelihood-ratio tests (anova(test = "Chisq")); p below 0.001 printed as "<0.001".
suppressMessages(library(MASS))

out <- list()
add <- function(study, table, variable, level, field, printed) {
  out[[length(out) + 1]] <<- data.frame(
    study = study, table = table, variable = variable, level = as.character(level),
    field = field, printed = printed, stringsAsFactors = FALSE
  )
}
fmt_p <- function(p) ifelse(p < 0.001, "<0.001", sprintf("%.3f", p))
fmt_n <- function(n, total) sprintf("%d (%.1f)", n, 100 * n / total)
# Continuous terms (per unit of age or weight) keep three decimals, as journals print them.
fmt_or <- function(x, digits = 2) sprintf("%.*f", digits, x)
fmt_ci <- function(lo, hi, digits = 2) sprintf("%.*f-%.*f", digits, lo, digits, hi)
continuous <- c("age", "lwt")

add_glm_terms <- function(study, table, fit, terms) {
  est <- coef(fit)
  ci <- exp(confint.default(fit))
  p <- summary(fit)$coefficients[, 4]
  for (term in names(terms)) {
    name <- terms[[term]]
    digits <- if (name[1] %in% continuous) 3 else 2
    add(study, table, name[1], name[2], "or", fmt_or(exp(est[term]), digits))
    add(study, table, name[1], name[2], "ci", fmt_ci(ci[term, 1], ci[term, 2], digits))
    add(study, table, name[1], name[2], "p", fmt_p(p[term]))
  }
}
lr_p <- function(fit, term) {
  tab <- drop1(fit, test = "Chisq")
  tab[term, "Pr(>Chi)"]
}

# ----------------------------------------------------------------------------- birthwt
bw <- MASS::birthwt
bw <- data.frame(id = as.integer(rownames(bw)), bw[, c("low", "age", "lwt", "race", "smoke",
                                                        "ptl", "ht", "ui", "ftv", "bwt")])
bw <- bw[order(bw$id), ]
write.csv(bw, "src/neok2/data/birthwt.csv", row.names = FALSE)
cases <- bw[bw$low == 1, ]
controls <- bw[bw$low == 0, ]
S <- "birthwt"
for (v in c("age", "lwt", "bwt")) {
  add(S, "table1", v, "", "case", sprintf("%.1f±%.1f", mean(cases[[v]]), sd(cases[[v]])))
  add(S, "table1", v, "", "control",
      sprintf("%.1f±%.1f", mean(controls[[v]]), sd(controls[[v]])))
  add(S, "table1", v, "", "p", fmt_p(t.test(cases[[v]], controls[[v]], var.equal = TRUE)$p.value))
}
race_names <- c("1" = "White", "2" = "Black", "3" = "Other")
tab <- table(factor(bw$race, levels = 1:3), bw$low)
for (code in 1:3) {
  add(S, "table1", "race", race_names[code], "case", fmt_n(tab[code, "1"], nrow(cases)))
  add(S, "table1", "race", race_names[code], "control", fmt_n(tab[code, "0"], nrow(controls)))
}
add(S, "table1", "race", "", "p", fmt_p(chisq.test(tab)$p.value))
for (v in c("smoke", "ht", "ui")) {
  add(S, "table1", v, "", "case", fmt_n(sum(cases[[v]]), nrow(cases)))
  add(S, "table1", v, "", "control", fmt_n(sum(controls[[v]]), nrow(controls)))
  # ht has an expected count below 5 (R warns); the p is printed as computed all the same.
  p <- suppressWarnings(chisq.test(table(bw[[v]], bw$low), correct = FALSE)$p.value)
  add(S, "table1", v, "", "p", fmt_p(p))
}
tab <- table(factor(bw$ptl, levels = 0:3), bw$low)
for (k in 0:3) {
  add(S, "table1", "ptl", k, "case", fmt_n(tab[k + 1, "1"], nrow(cases)))
  add(S, "table1", "ptl", k, "control", fmt_n(tab[k + 1, "0"], nrow(controls)))
}
suppressWarnings(add(S, "table1", "ptl", "", "p", fmt_p(chisq.test(tab)$p.value)))
add(S, "table1", "ptl", "", "trend_p",
    fmt_p(prop.trend.test(tab[, "1"], rowSums(tab), score = 0:3)$p.value))
q <- function(x) quantile(x, c(0.5, 0.25, 0.75))
for (g in c("case", "control")) {
  x <- if (g == "case") cases$ftv else controls$ftv
  v <- q(x)
  add(S, "table1", "ftv", "", g, sprintf("%g (%g, %g)", v[1], v[2], v[3]))
}
add(S, "table1", "ftv", "", "p", fmt_p(wilcox.test(cases$ftv, controls$ftv, exact = FALSE)$p.value))

bwf <- bw
bwf$race <- factor(bwf$race, levels = 1:3, labels = c("White", "Black", "Other"))
for (v in c("age", "lwt", "smoke", "ptl", "ht", "ui", "ftv")) {
  fit <- glm(reformulate(v, "low"), binomial, data = bwf)
  add_glm_terms(S, "univariable", fit, setNames(list(c(v, "")), v))
}
fit <- glm(low ~ race, binomial, data = bwf)
add_glm_terms(S, "univariable", fit,
              list(raceBlack = c("race", "Black"), raceOther = c("race", "Other")))
add(S, "univariable", "race", "", "joint_p", fmt_p(lr_p(fit, "race")))
fit <- glm(low ~ age + lwt + race + smoke + ptl + ht + ui, binomial, data = bwf)
terms <- list(age = c("age", ""), lwt = c("lwt", ""), raceBlack = c("race", "Black"),
              raceOther = c("race", "Other"), smoke = c("smoke", ""), ptl = c("ptl", ""),
              ht = c("ht", ""), ui = c("ui", ""))
add_glm_terms(S, "multivariable", fit, terms)
add(S, "multivariable", "race", "", "joint_p", fmt_p(lr_p(fit, "race")))

# ----------------------------------------------------------------------------- esoph
E <- "esoph"
eso <- datasets::esoph
rows <- list()
for (i in seq_len(nrow(eso))) {
  for (status in c(1, 0)) {
    k <- if (status == 1) eso$ncases[i] else eso$ncontrols[i]
    if (k > 0) {
      rows[[length(rows) + 1]] <- data.frame(
        case = rep(status, k), agegp = as.character(eso$agegp[i]),
        alcgp = as.character(eso$alcgp[i]), tobgp = as.character(eso$tobgp[i]),
        stringsAsFactors = FALSE
      )
    }
  }
}
es <- do.call(rbind, rows)
es <- data.frame(id = seq_len(nrow(es)), es)
write.csv(es, "src/neok2/data/esoph.csv", row.names = FALSE)
vars <- list(agegp = levels(eso$agegp), alcgp = levels(eso$alcgp), tobgp = levels(eso$tobgp))
ncase <- sum(es$case == 1)
ncontrol <- sum(es$case == 0)
esf <- es
for (v in names(vars)) esf[[v]] <- factor(es[[v]], levels = vars[[v]])
for (v in names(vars)) {
  tab <- table(esf[[v]], es$case)
  for (k in seq_along(vars[[v]])) {
    add(E, "table1", v, vars[[v]][k], "case", fmt_n(tab[k, "1"], ncase))
    add(E, "table1", v, vars[[v]][k], "control", fmt_n(tab[k, "0"], ncontrol))
  }
  add(E, "table1", v, "", "p", fmt_p(chisq.test(tab)$p.value))
  add(E, "table1", v, "", "trend_p",
      fmt_p(prop.trend.test(tab[, "1"], rowSums(tab), score = seq_along(vars[[v]]))$p.value))
  fit <- glm(reformulate(v, "case"), binomial, data = esf)
  terms <- setNames(lapply(vars[[v]][-1], function(l) c(v, l)), paste0(v, vars[[v]][-1]))
  add_glm_terms(E, "univariable", fit, terms)
  add(E, "univariable", v, "", "joint_p", fmt_p(lr_p(fit, v)))
  score <- as.integer(esf[[v]])
  trend <- glm(es$case ~ score, binomial)
  add(E, "univariable", v, "", "trend_p", fmt_p(summary(trend)$coefficients["score", 4]))
}
fit <- glm(case ~ agegp + alcgp + tobgp, binomial, data = esf)
terms <- list()
for (v in names(vars)) for (l in vars[[v]][-1]) terms[[paste0(v, l)]] <- c(v, l)
add_glm_terms(E, "multivariable", fit, terms)
for (v in names(vars)) add(E, "multivariable", v, "", "joint_p", fmt_p(lr_p(fit, v)))

# ----------------------------------------------------------------------------- infert
I <- "infert"
inf <- datasets::infert
inf <- data.frame(id = seq_len(nrow(inf)), case = inf$case, education = as.character(inf$education),
                  age = inf$age, parity = inf$parity, induced = inf$induced,
                  spontaneous = inf$spontaneous)
write.csv(inf, "tests/specs/infert.csv", row.names = FALSE)
ic <- inf[inf$case == 1, ]
io <- inf[inf$case == 0, ]
add(I, "table1", "age", "", "case", sprintf("%.1f±%.1f", mean(ic$age), sd(ic$age)))
add(I, "table1", "age", "", "control", sprintf("%.1f±%.1f", mean(io$age), sd(io$age)))
add(I, "table1", "age", "", "p", fmt_p(t.test(ic$age, io$age, var.equal = TRUE)$p.value))
edu <- c("0-5yrs", "6-11yrs", "12+ yrs")
for (v in c("education", "induced", "spontaneous")) {
  lv <- if (v == "education") edu else 0:2
  tab <- table(factor(inf[[v]], levels = lv), inf$case)
  for (k in seq_along(lv)) {
    add(I, "table1", v, lv[k], "case", fmt_n(tab[k, "1"], nrow(ic)))
    add(I, "table1", v, lv[k], "control", fmt_n(tab[k, "0"], nrow(io)))
  }
  add(I, "table1", v, "", "p", fmt_p(suppressWarnings(chisq.test(tab))$p.value))
  if (v != "education") {
    add(I, "table1", v, "", "trend_p",
        fmt_p(prop.trend.test(tab[, "1"], rowSums(tab), score = 0:2)$p.value))
  }
}
fit <- glm(case ~ factor(spontaneous), binomial, data = inf)
add_glm_terms(I, "univariable", fit, list("factor(spontaneous)1" = c("spontaneous", "1"),
                                          "factor(spontaneous)2" = c("spontaneous", "2")))
add(I, "univariable", "spontaneous", "", "joint_p", fmt_p(lr_p(fit, "factor(spontaneous)")))
fit <- glm(case ~ spontaneous + induced, binomial, data = inf)
add_glm_terms(I, "multivariable", fit, list(spontaneous = c("spontaneous", ""),
                                            induced = c("induced", "")))

write.csv(do.call(rbind, out), "tests/reference/studies_tables.csv", row.names = FALSE)
writeLines(c(R.version.string, paste("MASS", packageVersion("MASS"))),
           "tests/reference/studies_versions.txt")
