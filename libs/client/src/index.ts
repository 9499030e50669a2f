// Public API of @gateway/client: filled in by its issue.
export {};
