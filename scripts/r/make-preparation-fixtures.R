# R reference for a study's preparation (docs/coordinator.md "Preparing a study"): the study in
# tests/FedRad.Tests/Protocol/StudyPreparationTests.cs, computed centrally on the pooled table.
#
#   Rscript scripts/r/make-preparation-fixtures.R tests/data/r-fixtures
#
# Reads the site tables made by make-fixtures.R (sites/A.csv ... D.csv) and writes preparation.csv
# (quantity,name,value; 17 significant digits):
#   included/excluded per site   after the inclusion filter age >= 50
#   combat_mean, combat_sd       per site and feature (site:feature): mean and SD of the
#                                sva::ComBat-harmonised features (batch = site, mod = ~ age + sex)
#   feature_auc                  pROC AUC of every harmonised feature on its own (direction "<")
#   selected                     the 3 features with the largest |AUC - 0.5| (ties by name)
#   pooled_mean, pooled_sd       the selected harmonised features over the pooled table
# and preparation_combat.csv: every included patient's harmonised features (site,id,f1..f6).
# Deterministic: no random numbers.

suppressPackageStartupMessages({
  library(pROC)
  library(sva)
})

args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[[1]] else "tests/data/r-fixtures"
sites <- c("A", "B", "C", "D")
features <- paste0("f", 1:6)
fmt <- function(x) sprintf("%.17g", x)

results <- data.frame(quantity = character(), name = character(), value = character(), stringsAsFactors = FALSE)
put <- function(quantity, name, value) {
  results[nrow(results) + seq_along(value), ] <<- data.frame(quantity, name, fmt(value), stringsAsFactors = FALSE)
}

tables <- lapply(sites, function(s) cbind(site = s, read.csv(file.path(out, "sites", paste0(s, ".csv")), stringsAsFactors = FALSE)))
all <- do.call(rbind, tables)
pooled <- all[all$age >= 50, ]
for (s in sites) {
  put("included", s, sum(pooled$site == s))
  put("excluded", s, sum(all$site == s) - sum(pooled$site == s))
}

X <- as.matrix(pooled[, features])
mod <- model.matrix(~ age + sex, data = pooled)
harmonised <- t(suppressMessages(ComBat(dat = t(X), batch = pooled$site, mod = mod, par.prior = TRUE)))
for (s in sites) {
  h <- harmonised[pooled$site == s, , drop = FALSE]
  put("combat_mean", paste0(s, ":", features), colMeans(h))
  put("combat_sd", paste0(s, ":", features), apply(h, 2, sd))
}
auc_of <- function(f) as.numeric(auc(roc(pooled$y, harmonised[, f], levels = c(0, 1), direction = "<", quiet = TRUE)))
feature_auc <- sapply(features, auc_of)
put("feature_auc", features, feature_auc)
selected <- sort(features[order(-abs(feature_auc - 0.5), features)][1:3])
put("selected", selected, seq_along(selected))
put("pooled_mean", selected, colMeans(harmonised[, selected]))
put("pooled_sd", selected, apply(harmonised[, selected], 2, sd))

write.csv(results, file.path(out, "preparation.csv"), row.names = FALSE, quote = FALSE)
values <- data.frame(site = pooled$site, id = pooled$id)
for (f in features) values[[f]] <- fmt(harmonised[, f])
write.csv(values, file.path(out, "preparation_combat.csv"), row.names = FALSE, quote = FALSE)
