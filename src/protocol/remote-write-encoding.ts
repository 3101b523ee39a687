import protobuf from 'protobufjs/light.js';
import snappy from 'snappyjs';
import type { PromFamily } from '../core/prom-families.js';

/**
 * The messages of Prometheus remote write 1.0 (prompb: WriteRequest,
 * TimeSeries, Label, Sample, MetricMetadata), as protobufjs reflection
 * JSON: the fields crosstalk writes, with prompb's own field numbers.
 */
const PROMPB = protobuf.Root.fromJSON({
  nested: {
    prometheus: {
      nested: {
        WriteRequest: {
          fields: {
            timeseries: { rule: 'repeated', type: 'TimeSeries', id: 1 },
            metadata: { rule: 'repeated', type: 'MetricMetadata', id: 3 },
          },
        },
        TimeSeries: {
          fields: {
            labels: { rule: 'repeated', type: 'Label', id: 1 },
            samples: { rule: 'repeated', type: 'Sample', id: 2 },
          },
        },
        Label: { fields: { name: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        Sample: { fields: { value: { type: 'double', id: 1 }, timestamp: { type: 'int64', id: 2 } } },
        MetricMetadata: {
          fields: {
            type: { type: 'MetricType', id: 1 },
            metricFamilyName: { type: 'string', id: 2 },
            help: { type: 'string', id: 4 },
            unit: { type: 'string', id: 5 },
          },
          nested: {
            MetricType: {
              values: {
                UNKNOWN: 0,
                COUNTER: 1,
                GAUGE: 2,
                HISTOGRAM: 3,
                GAUGEHISTOGRAM: 4,
                SUMMARY: 5,
                INFO: 6,
                STATESET: 7,
              },
            },
          },
        },
      },
    },
  },
});
const WRITE_REQUEST = PROMPB.lookupType('prometheus.WriteRequest');
const METRIC_TYPE = { counter: 1, gauge: 2, histogram: 3 } as const;

/** Series per request: Prometheus's own sender sends at most 2,000 samples at once, and receivers cap request sizes. */
export const MAX_SERIES_PER_REQUEST = 2000;

/** One remote-write request body, ready to send. */
export interface RemoteWriteBody {
  /** Snappy-compressed (block format) protobuf WriteRequest. */
  readonly body: Uint8Array;
  readonly samples: number;
}

/**
 * The families as remote-write request bodies: one sample per series at
 * `timestampMs`, labels sorted by name as the protocol requires (`__name__`
 * among them), the families' type and help as metadata, split so that no
 * request holds more than {@link MAX_SERIES_PER_REQUEST} series.
 */
export function encodeWriteRequests(families: readonly PromFamily[], timestampMs: number): RemoteWriteBody[] {
  const out: RemoteWriteBody[] = [];
  let series: Array<{
    labels: Array<{ name: string; value: string }>;
    samples: Array<{ value: number; timestamp: number }>;
  }> = [];
  const metadata = families.map((f) => ({
    type: METRIC_TYPE[f.type],
    metricFamilyName: f.name,
    help: f.help,
    unit: f.name.endsWith('_seconds') ? 'seconds' : '',
  }));
  const flush = (): void => {
    if (!series.length) return;
    const bytes = WRITE_REQUEST.encode({ timeseries: series, metadata: out.length === 0 ? metadata : [] }).finish();
    out.push({ body: snappy.compress(bytes), samples: series.length });
    series = [];
  };
  for (const f of families) {
    for (const s of f.samples) {
      const labels = [{ name: '__name__', value: s.name }];
      for (const k in s.labels) labels.push({ name: k, value: s.labels[k]! });
      labels.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      series.push({ labels, samples: [{ value: s.value, timestamp: timestampMs }] });
      if (series.length >= MAX_SERIES_PER_REQUEST) flush();
    }
  }
  flush();
  return out;
}

/** A request body read back (for tests and debugging): each series' labels and its samples. */
export function decodeWriteRequest(
  body: Uint8Array,
): Array<{ labels: Record<string, string>; samples: Array<{ value: number; timestampMs: number }> }> {
  const msg = WRITE_REQUEST.toObject(WRITE_REQUEST.decode(snappy.uncompress(body)), {
    longs: Number,
    defaults: true,
  }) as {
    timeseries: Array<{
      labels: Array<{ name: string; value: string }>;
      samples: Array<{ value: number; timestamp: number }>;
    }>;
  };
  return msg.timeseries.map((t) => ({
    labels: Object.fromEntries(t.labels.map((l) => [l.name, l.value])),
    samples: t.samples.map((s) => ({ value: s.value, timestampMs: s.timestamp })),
  }));
}
