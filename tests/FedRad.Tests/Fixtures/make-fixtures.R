# Reference values for FedRad.Tests, computed with R (stats::glm, pROC).
# Regenerate from the repository root with:  Rscript tests/FedRad.Tests/Fixtures/make-fixtures.R
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
set.seed(20261125)

# Logistic regression: unpenalised maximum likelihood (glm) on a fixed table.
n <- 300
x1 <- rnorm(n); x2 <- rnorm(n, 0.5, 1.5); x3 <- runif(n, -1, 1)
y <- rbinom(n, 1, plogis(-0.4 + 1.1 * x1 - 0.6 * x2 + 0.8 * x3))
d <- data.frame(id = sprintf("p%03d", 1:n), x1 = x1, x2 = x2, x3 = x3, label = y)
write.csv(d, file.path(here, "logreg_cohort.csv"), row.names = FALSE, quote = FALSE)
fit <- glm(label ~ x1 + x2 + x3, family = binomial, data = d)
write.csv(data.frame(term = names(coef(fit)), estimate = sprintf("%.15g", coef(fit))),
          file.path(here, "logreg_glm.csv"), row.names = FALSE, quote = FALSE)

# AUC (Mann-Whitney, ties 1/2) of scores with ties, from pROC.
suppressMessages(library(pROC))
s <- round(runif(200), 1)
l <- rbinom(200, 1, s)
write.csv(data.frame(score = s, label = l), file.path(here, "auc_scores.csv"), row.names = FALSE, quote = FALSE)
r <- roc(l, s, direction = "<", quiet = TRUE)
writeLines(sprintf("%.15g", as.numeric(auc(r))), file.path(here, "auc_proc.txt"))
