"""The application: the command line, the watcher, batch builds, new issues and workspaces."""
