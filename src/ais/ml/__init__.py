"""Models of AIS: the feature matrix, training, the registry and inference (risk bands and VN_AQI: ais.aqi).

Non-Spark Python: reads and writes Iceberg with PyIceberg, trains with LightGBM (XGBoost optional).
"""
