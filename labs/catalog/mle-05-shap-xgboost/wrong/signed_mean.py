# expect-fail: top_features, xgb_type
# Features ranked by the mean SHAP value, without the absolute value: a feature that pushes
# predictions strongly both ways averages out to nothing.
import numpy as np
import shap
import xgboost


def train_model(X, y):
    model = xgboost.XGBRegressor(n_jobs=1)
    model.fit(X, y)
    return model


def explain(model, X):
    return np.asarray(shap.TreeExplainer(model).shap_values(X))


def top_features(shap_values, feature_names, k):
    order = np.argsort(-np.mean(shap_values, axis=0))
    return [feature_names[i] for i in order[:k]]
