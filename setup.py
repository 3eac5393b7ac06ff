"""Ship exercises/ and migrations/ inside the package as grader.exercises_data and grader.migrations."""

from setuptools import find_packages, setup

DATA_PACKAGES = {"grader.exercises_data": "exercises", "grader.migrations": "migrations"}

setup(
    packages=find_packages(include=["grader", "grader.*"]) + list(DATA_PACKAGES),
    package_dir=DATA_PACKAGES,
)
