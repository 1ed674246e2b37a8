// Test-only module imported by meta-entry.ts.
export const depUrl = import.meta.url;
