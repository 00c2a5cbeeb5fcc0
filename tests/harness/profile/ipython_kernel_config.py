# The test-only kernel profile (IPYTHONDIR of nbval's kernels, never of `make lab`): nbval compares only
# an error's name and message, so Plain tracebacks (no source context to read) change nothing it checks;
# the history database is never read by a test.
import sys

c = get_config()  # noqa: F821 (IPython's config loader provides it)
c.InteractiveShell.xmode = "Plain"
c.HistoryManager.enabled = False

# jsonschema imports rfc3987_syntax, if installed, only to offer "iri" format checks; importing it builds
# a Lark grammar (about 1 s). No notebook checks that format; None in sys.modules makes the import fail
# cleanly, and jsonschema then leaves that one checker out.
sys.modules.setdefault("rfc3987_syntax", None)
