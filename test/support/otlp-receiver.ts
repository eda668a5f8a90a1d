import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { parse } from 'protobufjs';

type Flat = Record<string, string | number | boolean>;

/** One span as OTLP/HTTP carries it, with its attributes flattened and its resource's. */
export interface ReceivedSpan {
  /** How it came: `http/json` or `http/protobuf`. */
  format: 'json' | 'protobuf';
  service: string;
  resource: Flat;
  /** Lower-case hex, as in a `traceparent`. */
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Flat;
  links: { traceId: string; spanId: string; attributes: Flat }[];
  status: { code?: number; message?: string };
  /** The headers of the export request that carried it (`OTEL_EXPORTER_OTLP_HEADERS` among them). */
  headers: Record<string, string>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
type OtlpAttributes = { key: string; value?: OtlpValue }[] | undefined;

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  attributes?: OtlpAttributes;
  links?: { traceId: string; spanId: string; attributes?: OtlpAttributes }[];
  status?: { code?: number; message?: string };
}

/** An ExportTraceServiceRequest, as JSON carries it, or as protobuf decodes to (ids still in base64 there). */
interface OtlpTraces {
  resourceSpans?: { resource?: { attributes?: OtlpAttributes }; scopeSpans?: { spans?: OtlpSpan[] }[] }[];
}

/**
 * The OTLP trace request's schema, the messages and field numbers of opentelemetry-proto's
 * `collector/trace/v1/trace_service.proto`, `trace/v1/trace.proto`, `common/v1/common.proto` and
 * `resource/v1/resource.proto` (no installed package ships the .proto files or their JSON; the
 * otlp-transformer's serializer writes these numbers). protobufjs decodes against it: nothing
 * here reads bytes by hand.
 */
const OTLP_TRACE_PROTO = `
syntax = "proto3";
package otlp;
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; string schema_url = 3; }
message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; string schema_url = 3; }
message InstrumentationScope { string name = 1; string version = 2; repeated KeyValue attributes = 3; uint32 dropped_attributes_count = 4; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4; fixed32 flags = 16;
  string name = 5; int32 kind = 6; fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9; uint32 dropped_attributes_count = 10;
  repeated Event events = 11; uint32 dropped_events_count = 12;
  repeated Link links = 13; uint32 dropped_links_count = 14; Status status = 15;
  message Event { fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3; uint32 dropped_attributes_count = 4; }
  message Link { bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; repeated KeyValue attributes = 4; uint32 dropped_attributes_count = 5; fixed32 flags = 6; }
}
message Status { string message = 2; int32 code = 3; }
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4;
    ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7; }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
`;
const EXPORT_TRACE_REQUEST = parse(OTLP_TRACE_PROTO).root.lookupType('otlp.ExportTraceServiceRequest');

/** A protobuf body as the JSON one reads: camelCase fields, numbers for int64 and enums, ids in hex. */
function decodeProtobuf(body: Buffer): OtlpTraces {
  const traces = EXPORT_TRACE_REQUEST.toObject(EXPORT_TRACE_REQUEST.decode(body), {
    longs: Number,
    enums: Number,
    bytes: String,
  }) as OtlpTraces;
  const hex = (base64: string | undefined) => Buffer.from(base64 ?? '', 'base64').toString('hex');
  for (const resourceSpans of traces.resourceSpans ?? [])
    for (const scope of resourceSpans.scopeSpans ?? [])
      for (const span of scope.spans ?? []) {
        span.traceId = hex(span.traceId);
        span.spanId = hex(span.spanId);
        span.parentSpanId = hex(span.parentSpanId);
        for (const link of span.links ?? []) {
          link.traceId = hex(link.traceId);
          link.spanId = hex(link.spanId);
        }
      }
  return traces;
}

function flatten(attributes: OtlpAttributes): Flat {
  const flat: Flat = {};
  for (const { key, value = {} } of attributes ?? []) {
    flat[key] =
      value.stringValue ??
      (value.intValue !== undefined ? Number(value.intValue) : undefined) ??
      value.doubleValue ??
      value.boolValue ??
      '';
  }
  return flat;
}

/**
 * An OTLP/HTTP receiver on loopback, as a collector would listen: `POST /v1/traces` with JSON
 * (OTEL_EXPORTER_OTLP_PROTOCOL=http/json) or protobuf (http/protobuf) bodies, whose spans it
 * reads alike; anything else is a 415.
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  /** Export requests received, of either format (an empty one counts too). */
  requests = 0;
  /** Requests that were neither (another signal, another path): the exporter is set up wrong. */
  readonly refused: string[] = [];
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((request, response) => void this.receive(request, response));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The spans of one service (each test names its own, the receiver is shared). */
  of(service: string): ReceivedSpan[] {
    return this.spans.filter((span) => span.service === service);
  }

  private async receive(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const type = request.headers['content-type'] ?? '';
    const format = type.startsWith('application/x-protobuf')
      ? 'protobuf'
      : type.startsWith('application/json')
        ? 'json'
        : undefined;
    if (request.method !== 'POST' || request.url !== '/v1/traces' || !format) {
      this.refused.push(`${request.method} ${request.url} ${type}`);
      response.writeHead(415).end();
      return;
    }
    this.requests += 1;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers))
      if (typeof value === 'string') headers[name] = value;
    const traces =
      format === 'json' ? (JSON.parse(body.toString('utf8')) as OtlpTraces) : decodeProtobuf(body);
    for (const resourceSpans of traces.resourceSpans ?? []) {
      const resource = flatten(resourceSpans.resource?.attributes);
      for (const scope of resourceSpans.scopeSpans ?? []) {
        for (const span of scope.spans ?? []) {
          this.spans.push({
            format,
            service: String(resource['service.name'] ?? ''),
            resource,
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId ?? '',
            name: span.name,
            kind: span.kind ?? 0,
            attributes: flatten(span.attributes),
            links: (span.links ?? []).map((link) => ({
              traceId: link.traceId,
              spanId: link.spanId,
              attributes: flatten(link.attributes),
            })),
            status: span.status ?? {},
            headers,
          });
        }
      }
    }
    if (format === 'json') response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    // An empty ExportTraceServiceResponse.
    else response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  }
}
