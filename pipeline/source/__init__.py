"""Reading issue files: TOML with positions, schemas, series rules, the model, the address book."""
