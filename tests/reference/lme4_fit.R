# Reference fits with lme4 and clubSandwich for tests/test_lme4.py.
#
#   Rscript tests/reference/lme4_fit.R FRAME.csv SPEC.csv OUT.csv [--no-cr | --cr2 M3,M5]
#
# FRAME.csv: the analysis frame (to_work_share, county_id, office_id and the model terms).
# SPEC.csv:  rows `model,term`, the fixed-effect terms of each model in order (an empty term: intercept only).
# OUT.csv:   long format `model,quantity,term,value`, values printed with 17 significant digits.
#   coef, se_model, se_cr1       per term ("(Intercept)" is written as "Intercept")
#   loglik, var_county, var_office, var_residual    term empty
#   seconds_lmer (every optimizer tried), seconds_cr (clubSandwich)    term empty, elapsed seconds
#   optimizer_loglik, optimizer_seconds    term = optimizer (diagnostics: every optimizer tried)
#   with --cr2 MODELS, for the listed models also (per term):
#   se_cr2, df_cr2, p_cr2        coef_test(vcov = "CR2", test = "Satterthwaite")
#   df_cr1, p_cr1                coef_test(vcov = <the CR1 matrix>, test = "Satterthwaite")
#   theta_office, theta_county   (term empty) lme4's relative standard deviations sigma_u / sigma, full precision
#   seconds_cr2                  (term empty) elapsed seconds of the CR2 coef_test
#
# Each model is `lmer(to_work_share ~ terms + (1 | county_id) + (1 | county_id:office_id), REML = FALSE)`,
# fitted with both of lme4's BOBYQA implementations at tight tolerances; the fit with the higher
# log-likelihood is kept. CR1 standard errors: clubSandwich::vcovCR(type = "CR1", cluster = county).

suppressPackageStartupMessages({
  library(lme4)
  library(clubSandwich)
})

args <- commandArgs(trailingOnly = TRUE)
usage <- "usage: Rscript lme4_fit.R FRAME.csv SPEC.csv OUT.csv [--no-cr | --cr2 M3,M5]"
if (!(length(args) == 3 || (length(args) == 4 && args[4] == "--no-cr") || (length(args) == 5 && args[4] == "--cr2"))) {
  stop(usage, call. = FALSE)
}
with_cr <- !(length(args) == 4)  # --no-cr: lmer only (the benchmark times the fits, not clubSandwich)
cr2_models <- if (length(args) == 5) strsplit(args[5], ",", fixed = TRUE)[[1]] else character(0)

# The ids must be factors: read as numbers they would silently become fixed slopes or fail.
frame <- read.csv(args[1], colClasses = c(county_id = "character", office_id = "character"), check.names = FALSE)
frame$county_id <- factor(frame$county_id)
frame$office_id <- factor(frame$office_id)
spec <- read.csv(args[2], colClasses = "character", na.strings = character(0))
spec <- spec[!is.na(spec$term), ]

# Tolerances far below the defaults (minqa bobyqa: rhoend = 1e-6 * rhobeg; lme4's nloptwrap: xtol_abs = ftol_abs =
# 1e-8), so that the reference does not depend on where an optimizer stops: the two optimizers then agree to ~1e-9
# in the log-likelihood.
CONTROLS <- list(
  bobyqa = lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5)),
  nloptwrap = lmerControl(
    optimizer = "nloptwrap",
    optCtrl = list(xtol_abs = 1e-12, ftol_abs = 1e-14, xtol_rel = 1e-12, ftol_rel = 1e-14, maxeval = 1e5)
  )
)

elapsed <- function() proc.time()[["elapsed"]]
rows <- list()
add <- function(model, quantity, term, value) {
  rows[[length(rows) + 1]] <<- data.frame(
    model = model, quantity = quantity, term = term, value = sprintf("%.17g", as.numeric(value))
  )
}

for (model in unique(spec$model)) {
  terms <- spec$term[spec$model == model & spec$term != ""]
  missing <- setdiff(terms, names(frame))
  if (length(missing) > 0) stop(sprintf("model %s: columns not in the frame: %s", model, toString(missing)))
  fixed <- if (length(terms) > 0) terms else "1"
  rhs <- paste(c(fixed, "(1 | county_id)", "(1 | county_id:office_id)"), collapse = " + ")
  formula <- as.formula(paste("to_work_share ~", rhs))

  fit <- NULL
  seconds_lmer <- 0
  for (optimizer in names(CONTROLS)) {
    start <- elapsed()
    candidate <- withCallingHandlers(
      lmer(formula, data = frame, REML = FALSE, control = CONTROLS[[optimizer]]),
      warning = function(w) {
        message(sprintf("model %s, %s: %s", model, optimizer, conditionMessage(w)))
        invokeRestart("muffleWarning")
      }
    )
    seconds <- elapsed() - start
    seconds_lmer <- seconds_lmer + seconds
    add(model, "optimizer_loglik", optimizer, logLik(candidate))
    add(model, "optimizer_seconds", optimizer, seconds)
    if (is.null(fit) || as.numeric(logLik(candidate)) > as.numeric(logLik(fit))) fit <- candidate
  }

  # vcovCR's default for a model without `target` (inverse_var = TRUE) inverts every county's weight matrix a
  # second time to get a working covariance that only CR2/CR4 use. Passing an (unused) target skips that dense
  # n_g x n_g inversion; CR1 = sqrt(J / (J - 1)) * CR0 is computed by the same code either way (checked bitwise).
  start <- elapsed()
  cr1 <- if (with_cr) {
    vcovCR(fit, cluster = frame$county_id, type = "CR1", target = list(), inverse_var = FALSE)
  } else {
    matrix(NA_real_, length(fixef(fit)), length(fixef(fit)), dimnames = list(names(fixef(fit)), names(fixef(fit))))
  }
  seconds_cr <- elapsed() - start

  beta <- fixef(fit)
  names_out <- sub("^\\(Intercept\\)$", "Intercept", names(beta))
  se_model <- sqrt(diag(as.matrix(vcov(fit))))
  se_cr1 <- sqrt(diag(as.matrix(cr1)))
  stopifnot(identical(names(beta), rownames(as.matrix(cr1))))
  vc <- as.data.frame(VarCorr(fit))
  add(model, "coef", names_out, beta)
  add(model, "se_model", names_out, se_model)
  add(model, "se_cr1", names_out, se_cr1)
  add(model, "loglik", "", logLik(fit))
  add(model, "var_county", "", vc$vcov[vc$grp == "county_id"])
  add(model, "var_office", "", vc$vcov[vc$grp == "county_id:office_id"])
  add(model, "var_residual", "", vc$vcov[vc$grp == "Residual"])
  if (model %in% cr2_models) {
    # CR2 with the fitted model as the working model (vcovCR's default for an lmerMod: inverse_var = TRUE) and
    # Satterthwaite degrees of freedom; the same degrees of freedom for the CR1 matrix computed above.
    cluster <- frame$county_id
    start <- elapsed()
    cr2 <- coef_test(fit, vcov = "CR2", cluster = cluster, test = "Satterthwaite")
    seconds_cr2 <- elapsed() - start
    cr1_full <- vcovCR(fit, cluster = cluster, type = "CR1")
    cr1_test <- coef_test(fit, vcov = cr1_full, test = "Satterthwaite")
    stopifnot(identical(rownames(cr2), names(beta)))
    add(model, "se_cr2", names_out, cr2$SE)
    add(model, "df_cr2", names_out, cr2$df_Satt)
    add(model, "p_cr2", names_out, cr2$p_Satt)
    add(model, "df_cr1", names_out, cr1_test$df_Satt)
    add(model, "p_cr1", names_out, cr1_test$p_Satt)
    theta <- getME(fit, "theta")  # lme4's order: the office-in-county term first (more levels), then county
    add(model, "theta_office", "", theta[["county_id:office_id.(Intercept)"]])
    add(model, "theta_county", "", theta[["county_id.(Intercept)"]])
    add(model, "seconds_cr2", "", seconds_cr2)
    message(sprintf("model %s: CR2 with Satterthwaite df %.1f s", model, seconds_cr2))
  }
  add(model, "seconds_lmer", "", seconds_lmer)
  add(model, "seconds_cr", "", seconds_cr)
  message(sprintf(
    "model %s: loglik %.6f, lmer %.1f s, clubSandwich %.1f s", model, logLik(fit), seconds_lmer, seconds_cr
  ))
}

write.csv(do.call(rbind, rows), args[3], row.names = FALSE, quote = 1:3)
