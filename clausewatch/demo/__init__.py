"""Bundled local demo website with fictional Northwind AI policy pages.

Use :class:`clausewatch.demo.site.DemoSite` to serve the pages on 127.0.0.1.
"""
