import numpy as np
import shap
import xgboost


def train_model(X, y):
    model = xgboost.XGBRegressor(n_jobs=1)
    model.fit(X, y)
    return model


def explain(model, X):
    explainer = shap.Explainer(model)
    return np.asarray(explainer(X).values)


def top_features(shap_values, feature_names, k):
    importance = np.abs(np.asarray(shap_values)).mean(axis=0)
    order = np.argsort(-importance)
    return [feature_names[i] for i in order[:k]]
