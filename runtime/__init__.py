"""(placeholder, filled in below)"""
