"""Layout: style, templates → document blocks, the line composer, the page composer, PDF drawing."""
