# Reference values for tests/test_synthesis.py: t-tests from printed summaries of the
# k2_neonates Table 1 rows PT and APTT, with the printed spreads read as SDs and as standard
# errors of the mean (SD = SEM * sqrt(n)). R's t.test() needs raw data, so the Student
# (pooled) and Welch statistics are written out from their textbook definitions.
# Run from the repository root:  Rscript tests/reference/synthesis_sem.R
# Output: synthesis_sem.csv (one row per variable and reading).
summary_t <- function(mean1, sd1, n1, mean2, sd2, n2) {
  pooled <- ((n1 - 1) * sd1^2 + (n2 - 1) * sd2^2) / (n1 + n2 - 2)
  t_student <- (mean1 - mean2) / sqrt(pooled * (1 / n1 + 1 / n2))
  v1 <- sd1^2 / n1
  v2 <- sd2^2 / n2
  df_welch <- (v1 + v2)^2 / (v1^2 / (n1 - 1) + v2^2 / (n2 - 1))
  t_welch <- (mean1 - mean2) / sqrt(v1 + v2)
  c(student_p = 2 * pt(-abs(t_student), n1 + n2 - 2),
    welch_p = 2 * pt(-abs(t_welch), df_welch))
}
rows <- list(
  list(variable = "pt_s", mean_case = 15.18, spread_case = 0.29,
       mean_control = 14.98, spread_control = 0.24),
  list(variable = "aptt_s", mean_case = 53.59, spread_case = 1.41,
       mean_control = 54.36, spread_control = 1.25))
n_case <- 66
n_control <- 134
out <- do.call(rbind, lapply(rows, function(r) {
  do.call(rbind, lapply(c("sd", "sem"), function(reading) {
    sd_case <- if (reading == "sem") r$spread_case * sqrt(n_case) else r$spread_case
    sd_control <- if (reading == "sem") r$spread_control * sqrt(n_control) else r$spread_control
    p <- summary_t(r$mean_case, sd_case, n_case, r$mean_control, sd_control, n_control)
    data.frame(variable = r$variable, reading = reading, sd_case = sd_case,
               sd_control = sd_control, student_p = p[["student_p"]],
               welch_p = p[["welch_p"]])
  }))
}))
write.csv(out, "tests/reference/synthesis_sem.csv", row.names = FALSE)
