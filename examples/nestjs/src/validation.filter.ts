import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import { UniqueConstraintError, ValidationError } from 'sequelize';

/** The package's errors as HTTP: a ValidationError names the fields (400), a duplicate is a conflict (409). */
@Catch(ValidationError)
export class ValidationFilter implements ExceptionFilter {
  catch(error: ValidationError, host: ArgumentsHost) {
    const response = host.switchToHttp().getResponse<{ status(code: number): { json(body: unknown): void } }>();
    if (error instanceof UniqueConstraintError) {
      response.status(409).json({ error: 'conflict', fields: Object.keys(error.fields) });
    } else {
      response
        .status(400)
        .json({ error: 'invalid', fields: error.errors.map((item) => ({ field: item.path, message: item.message })) });
    }
  }
}
