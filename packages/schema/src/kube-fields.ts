import { z } from 'zod';

// Fields shaped as Kubernetes checks them, shared by the LogPipeline spec and its pod settings.
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The name of an object such as a Secret: a DNS subdomain. */
export const ObjectName = z.string().max(253).regex(DNS_SUBDOMAIN, 'must be a DNS subdomain name');

/** A whole number within bounds. */
export const int = (min: number, max: number) => z.number().int().min(min).max(max);
