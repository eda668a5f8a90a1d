export {
  BadRequestError,
  ConflictError,
  DomainError,
  NotFoundError,
  RequestTooDeepError,
  RequestValidationError,
  RuleViolationError,
  UpstreamFailedError,
} from './domain-error';
export type { FieldError } from './domain-error';
export { isDeadlockOrLockTimeout, isUniqueViolation } from './database-errors';
export { ProblemDetails } from './problem-details';
export { ProblemDetailsFilter } from './problem-details.filter';
