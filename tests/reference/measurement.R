# Median and quartiles (type 7, numpy's default) of birth weight by case status in
# MASS::birthwt, for tests/test_displayed_precision.py (the measurement paragraph).
# Run: Rscript tests/reference/measurement.R  (writes tests/reference/measurement.csv)
library(MASS)
rows <- lapply(c(case = 1, control = 0), function(code) {
  x <- birthwt$bwt[birthwt$low == code]
  q <- quantile(x, c(0.25, 0.75), type = 7)
  data.frame(median = median(x), q1 = unname(q[1]), q3 = unname(q[2]))
})
out <- cbind(group = names(rows), do.call(rbind, rows))
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
write.csv(out, file.path(here, "measurement.csv"), row.names = FALSE)
