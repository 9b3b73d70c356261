# expect-fail: additivity, shap_values, xgb_type
# XGBoost's own SHAP values (pred_contribs=True) returned as they come: the last column is the
# bias (the expected value), so the matrix has n_features + 1 columns.
import numpy as np
import xgboost


def train_model(X, y):
    model = xgboost.XGBRegressor(n_jobs=1)
    model.fit(X, y)
    return model


def explain(model, X):
    return model.get_booster().predict(xgboost.DMatrix(X), pred_contribs=True)


def top_features(shap_values, feature_names, k):
    importance = np.abs(shap_values).mean(axis=0)
    return [feature_names[i] for i in np.argsort(-importance)[:k]]
