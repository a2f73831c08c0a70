"""Profile renderers (STYLE.md): each takes a ProfileDocument and only formats it. None
reads a figure: every figure comes from layers.profile, through the one read path."""
