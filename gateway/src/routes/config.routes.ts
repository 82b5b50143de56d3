import { Router } from 'express';

export interface PublicConfig {
  languages: readonly ('en' | 'de' | 'fr')[];
  feedback_enabled: boolean;
  consent_mode: 'always' | 'never' | 'auto';
  privacy_url?: string;
  limits: { max_message_chars: number; session_idle_timeout_seconds: number };
}

/** Public UI settings: nothing secret lives here. */
export function configRoutes(config: PublicConfig): Router {
  const router = Router();
  router.get('/api/v1/config', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=60');
    res.json(config);
  });
  return router;
}
