export { configureApp } from './configure-app';
export { listen, LISTEN_BACKLOG } from './listen';
export { cursorPage, CursorPageQuery, DEFAULT_PAGE_LIMIT } from './page-query';
export { MaxCodePoints } from './max-code-points';
export { CheckedBy, createValidationPipe, type RequestCheck, refuseUnknownFields } from './validation';
export { codePointLength } from './max-code-points';
