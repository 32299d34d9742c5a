/** The ONNX protobuf schema (from npm:onnx-proto), re-exported with small helpers. */
import onnxProto from "onnx-proto";

/** The ONNX protobuf classes. */
export const onnx = onnxProto.onnx;
/** A decoded ONNX model. */
export type ModelProto = InstanceType<typeof onnxProto.onnx.ModelProto>;
/** A model as plain objects, for encoding. */
export type IModelProto = Parameters<typeof onnxProto.onnx.ModelProto.create>[0];
/** A node as a plain object, for encoding. */
export type INodeProto = NonNullable<NonNullable<IModelProto>["graph"]>["node"] extends
  (infer N)[] | null | undefined ? N : never;

/** Decodes an ONNX model from bytes. */
export function decodeModel(bytes: Uint8Array): ModelProto {
  return onnx.ModelProto.decode(bytes);
}

/** Encodes an ONNX model to bytes. */
export function encodeModel(model: IModelProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

/** Dimensions of a value info: numbers, or names for symbolic (dynamic) axes. */
export function dimsOf(
  info: {
    type?: {
      tensorType?: {
        shape?: { dim?: { dimValue?: unknown; dimParam?: string | null }[] | null } | null;
      } | null;
    } | null;
  },
): (number | string)[] {
  const dims = info.type?.tensorType?.shape?.dim ?? [];
  return dims.map((d) => (d.dimParam ? d.dimParam : d.dimValue != null ? Number(d.dimValue) : "?"));
}
