/** One field of a protobuf message as read off the wire: its number, and its value (varint, fixed, or bytes). */
export interface ProtobufField {
  number: number;
  /** Varints and fixed64 as bigint, fixed32 as number, length-delimited as bytes. */
  value: bigint | number | Buffer;
}

function readVarint(buffer: Buffer, offset: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  let position = offset;
  for (;;) {
    const byte = buffer[position];
    if (byte === undefined) throw new Error('protobuf: varint runs past the end');
    position += 1;
    result |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [result, position];
    shift += 7n;
  }
}

/** The fields of one message, in wire order (the protobuf wire format: a tag varint, then the value by its wire type). */
export function readFields(buffer: Buffer): ProtobufField[] {
  const fields: ProtobufField[] = [];
  let offset = 0;
  while (offset < buffer.length) {
    const [tag, afterTag] = readVarint(buffer, offset);
    const number = Number(tag >> 3n);
    const wireType = Number(tag & 7n);
    offset = afterTag;
    switch (wireType) {
      case 0: {
        const [value, next] = readVarint(buffer, offset);
        fields.push({ number, value });
        offset = next;
        break;
      }
      case 1:
        fields.push({ number, value: buffer.readBigUInt64LE(offset) });
        offset += 8;
        break;
      case 2: {
        const [length, start] = readVarint(buffer, offset);
        const end = start + Number(length);
        fields.push({ number, value: buffer.subarray(start, end) });
        offset = end;
        break;
      }
      case 5:
        fields.push({ number, value: buffer.readUInt32LE(offset) });
        offset += 4;
        break;
      default:
        throw new Error(`protobuf: wire type ${wireType} not supported`);
    }
  }
  return fields;
}

export const bytesOf = (field: ProtobufField): Buffer => (Buffer.isBuffer(field.value) ? field.value : Buffer.alloc(0));
export const textOf = (field: ProtobufField): string => bytesOf(field).toString('utf8');
