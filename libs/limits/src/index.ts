// Public API of @gateway/limits: filled in by its issue.
export {};
