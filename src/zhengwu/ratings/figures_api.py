"""API of the ratings part (see the module that fills it)."""

urlpatterns: list = []
