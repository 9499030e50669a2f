import { bytesOf, readFields, textOf, type ProtobufField } from './protobuf-reader';

/** A span as the OTLP receiver saw it, the same whether it came as protobuf or JSON. */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, unknown>;
  events: string[];
  /** OTLP's status code: 0 unset, 1 ok, 2 error. */
  statusCode: number;
}

// --- protobuf (opentelemetry/proto/trace/v1/trace.proto, common/v1/common.proto) ---

function anyValue(buffer: Buffer): unknown {
  const [field] = readFields(buffer);
  if (!field) return undefined;
  switch (field.number) {
    case 1:
      return textOf(field);
    case 2:
      return field.value === 1n;
    case 3:
      return Number(BigInt.asIntN(64, field.value as bigint));
    case 4: {
      const raw = Buffer.alloc(8);
      raw.writeBigUInt64LE(field.value as bigint);
      return raw.readDoubleLE(0);
    }
    case 5:
      return readFields(bytesOf(field))
        .filter((item) => item.number === 1)
        .map((item) => anyValue(bytesOf(item)));
    default:
      return undefined;
  }
}

function keyValues(fields: readonly ProtobufField[], number: number): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  for (const field of fields.filter((each) => each.number === number)) {
    const parts = readFields(bytesOf(field));
    const key = parts.find((part) => part.number === 1);
    const value = parts.find((part) => part.number === 2);
    if (key) attributes[textOf(key)] = value ? anyValue(bytesOf(value)) : undefined;
  }
  return attributes;
}

const integerOf = (field: ProtobufField | undefined): bigint =>
  typeof field?.value === 'bigint' ? field.value : BigInt(typeof field?.value === 'number' ? field.value : 0);

function protobufSpan(buffer: Buffer, service: string): ReceivedSpan {
  const fields = readFields(buffer);
  const one = (number: number) => fields.find((field) => field.number === number);
  const hex = (number: number) => {
    const field = one(number);
    return field ? bytesOf(field).toString('hex') : '';
  };
  const status = one(15) ? readFields(bytesOf(one(15)!)).find((field) => field.number === 3) : undefined;
  return {
    service,
    traceId: hex(1),
    spanId: hex(2),
    parentSpanId: hex(4),
    name: one(5) ? textOf(one(5)!) : '',
    kind: Number(one(6)?.value ?? 0),
    startNs: integerOf(one(7)),
    endNs: integerOf(one(8)),
    attributes: keyValues(fields, 9),
    events: fields.filter((field) => field.number === 11).map((field) => textOf(readFields(bytesOf(field)).find((part) => part.number === 2)!)),
    statusCode: Number(status?.value ?? 0),
  };
}

/** The spans of an OTLP/HTTP protobuf body (ExportTraceServiceRequest). */
export function spansOfProtobuf(body: Buffer): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of readFields(body).filter((field) => field.number === 1)) {
    const parts = readFields(bytesOf(resourceSpans));
    const resource = parts.find((part) => part.number === 1);
    const service = String((resource ? keyValues(readFields(bytesOf(resource)), 1) : {})['service.name'] ?? '');
    for (const scopeSpans of parts.filter((part) => part.number === 2)) {
      for (const span of readFields(bytesOf(scopeSpans)).filter((part) => part.number === 2)) spans.push(protobufSpan(bytesOf(span), service));
    }
  }
  return spans;
}

// --- JSON (the OTLP/JSON mapping: ids as hex, enums as numbers, 64-bit integers as strings or numbers) ---

interface JsonAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: JsonAnyValue[] };
}
interface JsonKeyValue {
  key: string;
  value?: JsonAnyValue;
}
interface JsonSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  startTimeUnixNano?: string | number;
  endTimeUnixNano?: string | number;
  attributes?: JsonKeyValue[];
  events?: { name: string }[];
  status?: { code?: number };
}
interface JsonExport {
  resourceSpans?: { resource?: { attributes?: JsonKeyValue[] }; scopeSpans?: { spans?: JsonSpan[] }[] }[];
}

function jsonValue(value: JsonAnyValue | undefined): unknown {
  if (!value) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(jsonValue);
  return undefined;
}

const jsonAttributes = (list: readonly JsonKeyValue[] = []) => Object.fromEntries(list.map((item) => [item.key, jsonValue(item.value)]));

/** The spans of an OTLP/HTTP JSON body. */
export function spansOfJson(body: JsonExport): ReceivedSpan[] {
  return (body.resourceSpans ?? []).flatMap((resourceSpans) => {
    const service = String(jsonAttributes(resourceSpans.resource?.attributes)['service.name'] ?? '');
    return (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        service,
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? '',
        name: span.name,
        kind: span.kind ?? 0,
        startNs: BigInt(span.startTimeUnixNano ?? 0),
        endNs: BigInt(span.endTimeUnixNano ?? 0),
        attributes: jsonAttributes(span.attributes),
        events: (span.events ?? []).map((event) => event.name),
        statusCode: span.status?.code ?? 0,
      })),
    );
  });
}
