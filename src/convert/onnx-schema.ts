/**
 * The ONNX protobuf schema, as far as the converter reads it: the messages and fields below, each with its field
 * number from the ONNX IR specification (onnx/onnx.proto), which keeps them stable across IR versions; protobufjs
 * skips every other field. Kept apart from onnx.ts so that no type the package exports refers to protobufjs.
 */
import protobuf from 'protobufjs/light.js';

const int64 = (id: number) => ({ type: 'int64', id });
const string = (id: number) => ({ type: 'string', id });
const repeated = (type: string, id: number) => ({ type, id, rule: 'repeated' });

const root = protobuf.Root.fromJSON({
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            irVersion: int64(1),
            producerName: string(2),
            producerVersion: string(3),
            graph: { type: 'GraphProto', id: 7 },
            opsetImport: repeated('OperatorSetIdProto', 8),
          },
        },
        OperatorSetIdProto: { fields: { domain: string(1), version: int64(2) } },
        GraphProto: {
          fields: {
            node: repeated('NodeProto', 1),
            name: string(2),
            initializer: repeated('TensorProto', 5),
            input: repeated('ValueInfoProto', 11),
            output: repeated('ValueInfoProto', 12),
          },
        },
        NodeProto: {
          fields: {
            input: repeated('string', 1),
            output: repeated('string', 2),
            name: string(3),
            opType: string(4),
            attribute: repeated('AttributeProto', 5),
            domain: string(7),
          },
        },
        AttributeProto: {
          fields: {
            name: string(1),
            f: { type: 'float', id: 2 },
            i: int64(3),
            s: { type: 'bytes', id: 4 },
            t: { type: 'TensorProto', id: 5 },
            floats: repeated('float', 7),
            ints: repeated('int64', 8),
            type: { type: 'int32', id: 20 },
          },
        },
        TensorProto: {
          fields: {
            dims: repeated('int64', 1),
            dataType: { type: 'int32', id: 2 },
            floatData: repeated('float', 4),
            int32Data: repeated('int32', 5),
            int64Data: repeated('int64', 7),
            name: string(8),
            rawData: { type: 'bytes', id: 9 },
            doubleData: repeated('double', 10),
            dataLocation: { type: 'int32', id: 14 },
          },
        },
        ValueInfoProto: { fields: { name: string(1), type: { type: 'TypeProto', id: 2 } } },
        TypeProto: { fields: { tensorType: { type: 'TypeProtoTensor', id: 1 } } },
        TypeProtoTensor: { fields: { elemType: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } } },
        TensorShapeProto: { fields: { dim: repeated('Dimension', 1) } },
        Dimension: { fields: { dimValue: int64(1), dimParam: string(2) } },
      },
    },
  },
});

/** The ModelProto message type of the schema above (tests also use it to write models). */
export const ModelProto = root.lookupType('onnx.ModelProto');
