# R references for the federated aggregates of the validation report (FedRad.Reports.Tests).
#
#   Rscript scripts/r/make-report-fixtures.R tests/data/r-fixtures/sites tests/FedRad.Reports.Tests/r-fixtures
#
# Reads the synthetic sites written by make-fixtures.R and analyses the pooled data with R 4.2
# (survival, pROC, sva). Writes, into the output folder:
#   calibration.csv   logistic model after ComBat (age, sex preserved): observed vs predicted by
#                     pooled risk group (10, 5, 2 groups), pooled and per site, binom.test CI
#   roc_site.csv      pROC ROC points of that model within each site
#   km.csv            pooled Cox model (Breslow): survfit by pooled risk tertile and by halves
#   risk_table.csv    patients at risk (time >= t) per group for every whole day
#   logrank.csv       survdiff across the risk groups
#   km_sizes.csv      patients per site in each of those risk groups
#   histograms.csv    per site, f1..f6 before and after ComBat on the report's grid, cells below 5 suppressed
#   edges.csv         the grid
#   risk_groups.csv   pooled group sizes of tied columns (age, sex, time) as scores: how ties are grouped
# Risk groups: cut k is the j-th smallest score, j = floor(k n / G); a score equal to a cut is in
# the lower group (findInterval(..., left.open = TRUE)). Deterministic: rerunning gives identical files.

suppressPackageStartupMessages({
  library(survival)
  library(pROC)
  library(sva)
})

args <- commandArgs(trailingOnly = TRUE)
input <- if (length(args) >= 1) args[[1]] else "tests/data/r-fixtures/sites"
out <- if (length(args) >= 2) args[[2]] else "tests/FedRad.Reports.Tests/r-fixtures"
dir.create(out, recursive = TRUE, showWarnings = FALSE)
fmt <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
write_fixture <- function(tab, file) {
  for (col in names(tab)) if (is.double(tab[[col]])) tab[[col]] <- fmt(tab[[col]])
  write.csv(tab, file.path(out, file), row.names = FALSE, quote = FALSE)
}

sites <- c("A", "B", "C", "D")
features <- paste0("f", 1:6)
pooled <- do.call(rbind, lapply(sites, function(s) cbind(site = s, read.csv(file.path(input, paste0(s, ".csv")), stringsAsFactors = FALSE))))
X <- as.matrix(pooled[, features])

risk_group <- function(score, groups) {
  j <- (seq_len(groups - 1) * length(score)) %/% groups
  findInterval(score, sort(score)[j], left.open = TRUE) + 1
}

risk_groups <- NULL
for (column in c("age", "sex", "time")) for (groups in c(10, 3, 2)) {
  g <- risk_group(pooled[[column]], groups)
  risk_groups <- rbind(risk_groups, data.frame(score = column, groups = groups, group = seq_len(groups), n = tabulate(g, nbins = groups)))
}
write_fixture(risk_groups, "risk_groups.csv")

# ---- logistic model on ComBat-harmonised features (as `sim fit --harmonize combat --covariates age,sex`) ----
mod <- model.matrix(~ age + sex, data = pooled)
harmonised_x <- t(suppressMessages(ComBat(dat = t(X), batch = factor(pooled$site), mod = mod, par.prior = TRUE)))
harmonised <- pooled
harmonised[, features] <- harmonised_x
form <- as.formula(paste("y ~", paste(c(features, "age", "sex"), collapse = " + ")))
fit <- glm(form, family = binomial, data = harmonised, control = glm.control(epsilon = 1e-13, maxit = 100))
lp <- predict(fit, type = "link")
p <- plogis(lp)

calibration <- NULL
for (groups in c(10, 5, 2)) {
  g <- risk_group(lp, groups)
  for (scope in c("pooled", sites)) {
    keep <- if (scope == "pooled") rep(TRUE, length(g)) else pooled$site == scope
    for (k in sort(unique(g[keep]))) {
      in_group <- keep & g == k
      n <- sum(in_group)
      x <- sum(pooled$y[in_group])
      ci <- binom.test(x, n)$conf.int
      calibration <- rbind(calibration, data.frame(scope = scope, groups = groups, group = k, n = n, positives = x,
        mean_predicted = mean(p[in_group]), observed = x / n, ci_low = ci[1], ci_high = ci[2], stringsAsFactors = FALSE))
    }
  }
}
write_fixture(calibration, "calibration.csv")

roc_site <- NULL
for (s in sites) {
  keep <- pooled$site == s
  r <- roc(pooled$y[keep], lp[keep], levels = c(0, 1), direction = "<", quiet = TRUE)
  co <- coords(r, x = "all", ret = c("threshold", "sensitivity", "specificity"), transpose = FALSE)
  roc_site <- rbind(roc_site, data.frame(site = s, threshold = co$threshold, sensitivity = co$sensitivity, specificity = co$specificity))
}
write_fixture(roc_site, "roc_site.csv")

# ---- Kaplan-Meier by risk group of the pooled Cox model ----
cox <- coxph(as.formula(paste("Surv(time, event) ~", paste(features, collapse = " + "))), data = pooled, ties = "breslow",
             control = coxph.control(eps = 1e-12, toler.chol = 1e-13, iter.max = 100))
lp_cox <- as.vector(X %*% coef(cox))
km <- NULL
km_sizes <- NULL
risk_table <- NULL
logrank <- NULL
for (groups in c(3, 2)) {
  g <- risk_group(lp_cox, groups)
  for (s in sites) km_sizes <- rbind(km_sizes, data.frame(groups = groups, site = s, group = seq_len(groups), n = tabulate(g[pooled$site == s], nbins = groups)))
  sf <- survfit(Surv(time, event) ~ g, data = data.frame(time = pooled$time, event = pooled$event, g = g))
  strata <- rep(seq_along(sf$strata), sf$strata)
  rows <- sf$n.event > 0
  km <- rbind(km, data.frame(groups = groups, group = as.integer(sub("g=", "", names(sf$strata)))[strata[rows]], time = sf$time[rows],
    n_risk = sf$n.risk[rows], n_event = sf$n.event[rows], surv = sf$surv[rows], std_err = sf$std.err[rows],
    lower = sf$lower[rows], upper = sf$upper[rows]))
  for (k in seq_len(groups)) {
    t_k <- pooled$time[g == k]
    risk_table <- rbind(risk_table, data.frame(groups = groups, group = k, time = 0:max(pooled$time), n_risk = sapply(0:max(pooled$time), function(t) sum(t_k >= t))))
  }
  sd <- survdiff(Surv(time, event) ~ g, data = data.frame(time = pooled$time, event = pooled$event, g = g))
  logrank <- rbind(logrank, data.frame(groups = groups, group = seq_len(groups), observed = sd$obs, expected = sd$exp,
    chisq = sd$chisq, df = groups - 1, p = pchisq(sd$chisq, groups - 1, lower.tail = FALSE)))
}
write_fixture(km, "km.csv")
write_fixture(risk_table, "risk_table.csv")
write_fixture(logrank, "logrank.csv")
write_fixture(km_sizes, "km_sizes.csv")

# ---- feature distributions before/after ComBat on the report's grid ----
# grid: 12 equal bins over the wider of pooled mean +/- 3 SD before and after; cells: below the
# first edge, the bins, at or above the last edge. Cells of 1-4 patients suppressed; a single
# suppressed cell also hides the smallest other non-empty cell.
minimum <- 5
histograms <- NULL
edges_out <- NULL
for (f in features) {
  lo <- min(mean(X[, f]) - 3 * sd(X[, f]), mean(harmonised_x[, f]) - 3 * sd(harmonised_x[, f]))
  hi <- max(mean(X[, f]) + 3 * sd(X[, f]), mean(harmonised_x[, f]) + 3 * sd(harmonised_x[, f]))
  edges <- lo + (0:12) * ((hi - lo) / 12)
  edges_out <- rbind(edges_out, data.frame(feature = f, index = 0:12, edge = edges))
  for (stage in c("before", "after")) {
    values <- if (stage == "before") X[, f] else harmonised_x[, f]
    for (s in sites) {
      cells <- tabulate(findInterval(values[pooled$site == s], edges) + 1, nbins = 14)
      hidden <- cells > 0 & cells < minimum
      if (sum(hidden) == 1) {
        candidates <- which(!hidden & cells > 0)
        if (length(candidates) > 0) hidden[candidates[which.min(cells[candidates])]] <- TRUE
      }
      histograms <- rbind(histograms, data.frame(feature = f, stage = stage, site = s, cell = 0:13,
        count = ifelse(hidden, NA, cells), count_unsuppressed = cells))
    }
  }
}
write_fixture(histograms, "histograms.csv")
write_fixture(edges_out, "edges.csv")
cat(sprintf("wrote report fixtures to %s\n", out))
