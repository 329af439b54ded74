"""Customs: tariff and tax rules per destination market, duties and import taxes, declaration
screening flags."""
