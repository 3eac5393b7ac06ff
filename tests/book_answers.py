"""Answers to the book's example (`single-weight`: loss = (v*x - y)^2, x=2, y=5, v=0, learning
rate 0.01) shared by the tests of several layers."""

# Every gradient with the wrong sign, and the update and new value that follow from them.
SIGN_ERROR = {
    "grad.e3": "10",
    "grad.e2": "10",
    "grad.e1": "20",
    "update.v": "-0.2",
    "new.v": "-0.2",
}
