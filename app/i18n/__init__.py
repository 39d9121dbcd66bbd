"""The languages people read the widget and the console in: catalogs, locale choice, formats."""
