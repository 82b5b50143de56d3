/**
 * The Accept header Prometheus 3 sends when it scrapes: services answer it with OpenMetrics
 * (exemplars included); a plain fetch or curl gets the classic text format.
 */
export const PROMETHEUS_SCRAPE_ACCEPT =
  'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2';
