# Generates the R reference fixtures that FedRad's federated statistics are tested against.
#
#   Rscript scripts/r/make-fixtures.R tests/data/r-fixtures
#
# Needs r-base-core, r-cran-survival, r-cran-glmnet, r-cran-proc, r-bioc-sva (Debian 12).
# Writes, into the output folder:
#   sites/A.csv ... sites/D.csv   synthetic multi-site cohorts (one CSV per site)
#   results.csv                   analysis,quantity,name,value (values with 17 significant digits)
#   combat_nocov.csv              sva::ComBat(batch = site) of f1..f6, one row per patient
#   combat_cov.csv                the same with age and sex preserved (mod = ~ age + sex)
#   combat_scanner.csv            ComBat with a scanner batch spanning sites, age and sex preserved
#   roc_pooled.csv                pROC ROC points of the pooled logistic model
# Everything is deterministic (fixed seed); rerunning gives identical files.

suppressPackageStartupMessages({
  library(survival)
  library(glmnet)
  library(pROC)
  library(sva)
})

args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[[1]] else "tests/data/r-fixtures"
dir.create(file.path(out, "sites"), recursive = TRUE, showWarnings = FALSE)

RNGkind("Mersenne-Twister", "Inversion", "Rejection")
set.seed(20251125)

fmt <- function(x) sprintf("%.17g", x)

# ---- synthetic cohorts -------------------------------------------------------------------
# Six radiomic features on different scales, driven by three latent factors, age and sex,
# with a per-site additive and multiplicative scanner effect (what ComBat removes).
sites <- c("A", "B", "C", "D")
sizes <- c(A = 160, B = 120, C = 200, D = 90)
features <- paste0("f", 1:6)
centre <- c(f1 = 100, f2 = 1, f3 = 25, f4 = 3, f5 = 60, f6 = 0.5)
scale <- c(f1 = 15, f2 = 0.2, f3 = 4, f4 = 0.8, f5 = 9, f6 = 0.1)

tables <- list()
for (s in sites) {
  n <- sizes[[s]]
  age <- round(rnorm(n, 62, 9), 1)
  sex <- rbinom(n, 1, 0.5)
  z <- matrix(rnorm(n * 4), n, 4)
  latent <- cbind(
    z[, 1],
    z[, 2],
    0.5 * z[, 1] + sqrt(0.75) * z[, 3],
    z[, 4],
    0.85 * z[, 1] + sqrt(1 - 0.85^2) * rnorm(n),
    rnorm(n)
  ) + outer((age - 62) / 9, c(0.3, -0.2, 0.1, 0.25, 0.2, 0)) + outer(sex, c(0.2, 0, -0.3, 0.1, 0, 0.2))
  shift <- rnorm(6, 0, 0.6)
  stretch <- exp(rnorm(6, 0, 0.25))
  x <- sweep(sweep(latent, 2, stretch, "*"), 2, shift, "+")
  x <- sweep(sweep(x, 2, scale, "*"), 2, centre, "+")
  colnames(x) <- features
  eta <- -0.4 + 0.9 * latent[, 1] - 0.7 * latent[, 2] + 0.4 * latent[, 3] + 0.3 * (age - 62) / 9
  y <- rbinom(n, 1, plogis(eta))
  hazard <- 0.008 * exp(0.6 * latent[, 1] - 0.5 * latent[, 2] + 0.35 * latent[, 4])
  t_event <- rexp(n, hazard)
  t_cens <- runif(n, 20, 400)
  time <- ceiling(pmin(t_event, t_cens))       # whole days: tied times across sites
  event <- as.integer(t_event <= t_cens)
  ids <- sprintf("%s-%03d", s, seq_len(n))
  # the same follow-up without rounding (no tied times), for the glmnet Cox comparison
  time_exact <- round(pmin(t_event, t_cens), 6)
  tab <- data.frame(id = ids, round(x, 6), age = age, sex = sex, y = y, time = time, event = event, time_exact = time_exact,
                    stringsAsFactors = FALSE)
  write.csv(tab, file.path(out, "sites", paste0(s, ".csv")), row.names = FALSE, quote = FALSE)
  # read back, so that R analyses exactly the values FedRad reads
  tables[[s]] <- read.csv(file.path(out, "sites", paste0(s, ".csv")), stringsAsFactors = FALSE)
}
pooled <- do.call(rbind, lapply(sites, function(s) cbind(site = s, tables[[s]], row = seq_len(nrow(tables[[s]])) - 1)))
pooled$site <- factor(pooled$site, levels = sites)

results <- data.frame(analysis = character(), quantity = character(), name = character(), value = character(),
                      stringsAsFactors = FALSE)
put <- function(analysis, quantity, name, value) {
  results[nrow(results) + seq_along(value), ] <<- data.frame(analysis, quantity, name, fmt(value), stringsAsFactors = FALSE)
}

# ---- standardisation, correlation, univariate tests ---------------------------------------
X <- as.matrix(pooled[, features])
put("moments", "mean", features, colMeans(X))
put("moments", "sd", features, apply(X, 2, sd))
cm <- cor(X)
for (f in features) put("correlation", f, features, cm[f, ])
for (f in features) {
  tt <- t.test(pooled[[f]][pooled$y == 1], pooled[[f]][pooled$y == 0], var.equal = FALSE)
  put("welch", "t", f, unname(tt$statistic))
  put("welch", "df", f, unname(tt$parameter))
  put("welch", "p", f, tt$p.value)
  r <- roc(pooled$y, pooled[[f]], levels = c(0, 1), direction = "<", quiet = TRUE)
  put("feature_auc", "auc", f, as.numeric(auc(r)))
  ucox <- coxph(Surv(time, event) ~ pooled[[f]], data = pooled, ties = "breslow",
                control = coxph.control(eps = 1e-12, toler.chol = 1e-13, iter.max = 100))
  put("univariate_cox", "coef", f, unname(coef(ucox)))
  put("univariate_cox", "p", f, summary(ucox)$coefficients[1, 5])
}

# Correlation filter (reference implementation of the rule documented in docs/statistics.md):
# rank features by |AUC - 0.5| (ties by name), keep a feature if its |r| with every kept feature
# is at most the threshold.
feature_auc <- sapply(features, function(f) as.numeric(auc(roc(pooled$y, pooled[[f]], levels = c(0, 1), direction = "<", quiet = TRUE))))
ranked <- features[order(-abs(feature_auc - 0.5), features)]
kept <- character()
for (f in ranked) if (all(abs(cm[f, kept]) <= 0.5)) kept <- c(kept, f)
put("correlation_filter", "kept", kept, seq_along(kept))

# Correlation-based mRMR (MID): relevance |cor(f, y)|, redundancy mean |cor(f, selected)|.
relevance <- abs(cor(X, pooled$y))[, 1]
chosen <- character()
for (k in 1:4) {
  rest <- setdiff(features, chosen)
  score <- sapply(rest, function(f) relevance[[f]] - if (length(chosen) == 0) 0 else mean(abs(cm[f, chosen])))
  chosen <- c(chosen, rest[which.max(score)])
}
put("mrmr", "selected", chosen, seq_along(chosen))

# ---- logistic regression -------------------------------------------------------------------
glm_ctl <- glm.control(epsilon = 1e-13, maxit = 100)
logistic_terms <- c(features, "age", "sex")
put_glm <- function(name, fit) {
  co <- summary(fit)$coefficients
  terms <- rownames(co)
  put(name, "coef", terms, co[, 1])
  put(name, "se", terms, co[, 2])
  put(name, "z", terms, co[, 3])
  put(name, "p", terms, co[, 4])
  ci <- confint.default(fit)
  put(name, "ci_low", terms, ci[, 1])
  put(name, "ci_high", terms, ci[, 2])
  put(name, "deviance", "model", deviance(fit))
}
form <- as.formula(paste("y ~", paste(logistic_terms, collapse = " + ")))
fit_raw <- glm(form, family = binomial, data = pooled, control = glm_ctl)
put_glm("glm_raw", fit_raw)

# discrimination and calibration of the pooled logistic model
put_auc <- function(name, y, score) {
  r <- roc(y, score, levels = c(0, 1), direction = "<", quiet = TRUE)
  ci <- ci.auc(r, method = "delong")
  put(name, "auc", "value", as.numeric(auc(r)))
  put(name, "ci_low", "value", ci[1])
  put(name, "ci_high", "value", ci[3])
  put(name, "var", "value", var(r, method = "delong"))
  invisible(r)
}
lp_raw <- predict(fit_raw, type = "link")
roc_pooled <- put_auc("auc_pooled", pooled$y, lp_raw)
co <- coords(roc_pooled, x = "all", ret = c("threshold", "sensitivity", "specificity"), transpose = FALSE)
write.csv(data.frame(threshold = fmt(co$threshold), sensitivity = fmt(co$sensitivity), specificity = fmt(co$specificity)),
          file.path(out, "roc_pooled.csv"), row.names = FALSE, quote = FALSE)
for (s in sites) put_auc(paste0("auc_site_", s), pooled$y[pooled$site == s], lp_raw[pooled$site == s])
put("brier_pooled", "brier", "value", mean((pooled$y - plogis(lp_raw))^2))

# leave-one-site-out external validation of the logistic model
for (s in sites) {
  train <- pooled[pooled$site != s, ]
  test <- pooled[pooled$site == s, ]
  fit <- glm(form, family = binomial, data = train, control = glm_ctl)
  put(paste0("loso_logistic_", s), "coef", names(coef(fit)), coef(fit))
  lp <- predict(fit, newdata = test, type = "link")
  put_auc(paste0("loso_logistic_", s), test$y, lp)
  put(paste0("loso_logistic_", s), "brier", "value", mean((test$y - plogis(lp))^2))
  cil <- glm(test$y ~ offset(lp), family = binomial, control = glm_ctl)
  put(paste0("loso_logistic_", s), "calibration_intercept", "value", unname(coef(cil)[1]))
  slope <- glm(test$y ~ lp, family = binomial, control = glm_ctl)
  put(paste0("loso_logistic_", s), "calibration_slope", "value", unname(coef(slope)[2]))
  put(paste0("loso_logistic_", s), "calibration_slope_intercept", "value", unname(coef(slope)[1]))
}

# penalised logistic regression (glmnet's own scaling: -loglik/n + lambda * penalty on
# features standardised with the population SD); tight threshold so R's optimum is exact
Xl <- as.matrix(pooled[, logistic_terms])
for (cfg in list(list("l1", 1, 0.02), list("l2", 0, 0.05), list("enet", 0.5, 0.03))) {
  g <- glmnet(Xl, pooled$y, family = "binomial", alpha = cfg[[2]], lambda = cfg[[3]],
              thresh = 1e-25, maxit = 10000000, standardize = TRUE)
  b <- as.matrix(coef(g))[, 1]
  put(paste0("glmnet_", cfg[[1]]), "coef", names(b), b)
  put(paste0("glmnet_", cfg[[1]]), "lambda", "value", cfg[[3]])
  put(paste0("glmnet_", cfg[[1]]), "alpha", "value", cfg[[2]])
}

# ---- Cox proportional hazards (Breslow ties) -----------------------------------------------
cox_ctl <- coxph.control(eps = 1e-12, toler.chol = 1e-13, iter.max = 100)
cox_form <- as.formula(paste("Surv(time, event) ~", paste(features, collapse = " + ")))
put_cox <- function(name, fit) {
  co <- summary(fit)$coefficients
  terms <- rownames(co)
  put(name, "coef", terms, co[, "coef"])
  put(name, "se", terms, co[, "se(coef)"])
  put(name, "p", terms, co[, "Pr(>|z|)"])
  ci <- confint(fit)
  put(name, "ci_low", terms, ci[, 1])
  put(name, "ci_high", terms, ci[, 2])
  put(name, "loglik", "model", fit$loglik[2])
}
cox_pooled <- coxph(cox_form, data = pooled, ties = "breslow", control = cox_ctl)
put_cox("cox_pooled", cox_pooled)
cox_strat <- coxph(update(cox_form, . ~ . + strata(site)), data = pooled, ties = "breslow", control = cox_ctl)
put_cox("cox_stratified", cox_strat)

put_cindex <- function(name, time, event, lp) {
  cc <- concordance(Surv(time, event) ~ lp, reverse = TRUE)
  put(name, "c_index", "value", cc$concordance)
  put(name, "var", "value", cc$var)
  half <- qnorm(0.975) * sqrt(cc$var)
  put(name, "ci_low", "value", cc$concordance - half)
  put(name, "ci_high", "value", cc$concordance + half)
}
lp_cox <- as.vector(X %*% coef(cox_pooled))
put_cindex("cindex_pooled", pooled$time, pooled$event, lp_cox)
for (s in sites) {
  keep <- pooled$site == s
  put_cindex(paste0("cindex_site_", s), pooled$time[keep], pooled$event[keep], lp_cox[keep])
}
for (s in sites) {
  train <- pooled[pooled$site != s, ]
  test <- pooled[pooled$site == s, ]
  fit <- coxph(cox_form, data = train, ties = "breslow", control = cox_ctl)
  put(paste0("loso_cox_", s), "coef", names(coef(fit)), coef(fit))
  lp <- as.vector(as.matrix(test[, features]) %*% coef(fit))
  put_cindex(paste0("loso_cox_", s), test$time, test$event, lp)
}

# penalised Cox (glmnet). On untied times: with tied times glmnet's Cox likelihood is not
# exactly coxph's Breslow likelihood (see docs/statistics.md), and FedRad follows coxph.
for (cfg in list(list("l1", 1, 0.03), list("enet", 0.5, 0.05))) {
  g <- glmnet(X, Surv(pooled$time_exact, pooled$event), family = "cox", alpha = cfg[[2]], lambda = cfg[[3]],
              thresh = 1e-25, maxit = 10000000, standardize = TRUE)
  b <- as.matrix(coef(g))[, 1]
  put(paste0("glmnet_cox_", cfg[[1]]), "coef", names(b), b)
  put(paste0("glmnet_cox_", cfg[[1]]), "lambda", "value", cfg[[3]])
  put(paste0("glmnet_cox_", cfg[[1]]), "alpha", "value", cfg[[2]])
}

# ---- ComBat harmonisation (site as batch) ----------------------------------------------------
write_combat <- function(file, adjusted) {
  tab <- data.frame(site = pooled$site, row = pooled$row)
  for (f in features) tab[[f]] <- fmt(adjusted[f, ])
  write.csv(tab, file.path(out, file), row.names = FALSE, quote = FALSE)
}
combat_nocov <- suppressMessages(ComBat(dat = t(X), batch = pooled$site, par.prior = TRUE))
write_combat("combat_nocov.csv", combat_nocov)
mod <- model.matrix(~ age + sex, data = pooled)
combat_cov <- suppressMessages(ComBat(dat = t(X), batch = pooled$site, mod = mod, par.prior = TRUE))
write_combat("combat_cov.csv", combat_cov)
# batches that span sites (a scanner column the tests add: every third patient of each site, 0-based, on "GE")
scanner <- ifelse(pooled$row %% 3 == 0, "GE", "Siemens")
combat_scanner <- suppressMessages(ComBat(dat = t(X), batch = scanner, mod = mod, par.prior = TRUE))
write_combat("combat_scanner.csv", combat_scanner)

# logistic and Cox models on the ComBat-harmonised features (age and sex preserved)
harmonised <- pooled
for (f in features) harmonised[[f]] <- combat_cov[f, ]
fit_h <- glm(form, family = binomial, data = harmonised, control = glm_ctl)
put_glm("glm_combat", fit_h)
lp_h <- predict(fit_h, type = "link")
put_auc("auc_combat_pooled", harmonised$y, lp_h)
for (s in sites) put_auc(paste0("auc_combat_site_", s), harmonised$y[harmonised$site == s], lp_h[harmonised$site == s])
for (s in sites) {
  fit <- glm(form, family = binomial, data = harmonised[harmonised$site != s, ], control = glm_ctl)
  test <- harmonised[harmonised$site == s, ]
  put_auc(paste0("loso_combat_", s), test$y, predict(fit, newdata = test, type = "link"))
}

write.csv(results, file.path(out, "results.csv"), row.names = FALSE, quote = FALSE)
cat(sprintf("wrote %d results to %s\n", nrow(results), out))
