# expect-fail: shap_values, xgb_type
# Interventional SHAP against a background sample (the explained rows themselves): the values
# still add up to the prediction, around the background's mean prediction, but they are not
# the model's TreeSHAP values that the lab asks for.
import numpy as np
import shap
import xgboost


def train_model(X, y):
    model = xgboost.XGBRegressor(n_jobs=1)
    model.fit(X, y)
    return model


def explain(model, X):
    explainer = shap.TreeExplainer(model, data=X, feature_perturbation="interventional")
    return np.asarray(explainer.shap_values(X))


def top_features(shap_values, feature_names, k):
    importance = np.abs(shap_values).mean(axis=0)
    return [feature_names[i] for i in np.argsort(-importance)[:k]]
