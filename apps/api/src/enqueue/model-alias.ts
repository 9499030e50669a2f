/**
 * A request naming a model alias (LLM_MODEL_ALIASES) as the model id it stands for; any other request as it is (the
 * same object). Applied where every route's requests enter the queue, so all of them (the key's model allow-list,
 * the providers' plan, pricing) see the provider's id.
 */
export function withModelAlias<T extends { model?: string | undefined }>(aliases: Readonly<Record<string, string>>, request: T): T {
  const model = request.model === undefined ? undefined : aliases[request.model];
  return model === undefined ? request : { ...request, model };
}
