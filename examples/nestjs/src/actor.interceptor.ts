import {
  BadRequestException,
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { InjectConnection } from '@nestjs/sequelize';
import { InvalidIdError, withActor } from '@tbp/models';
import { Observable } from 'rxjs';
import type { Sequelize } from 'sequelize-typescript';
import { userIdOf } from './auth';

/**
 * Runs each request's handler on behalf of its user: every write it makes fills `createdById` and
 * `updatedById`. The handler runs when the observable is subscribed to, so the subscription itself
 * happens inside `withActor`.
 */
@Injectable()
export class ActorInterceptor implements NestInterceptor {
  constructor(@InjectConnection() private readonly sequelize: Sequelize) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const userId = userIdOf(context.switchToHttp().getRequest());
    if (userId === null) return next.handle();
    return new Observable((subscriber) => {
      try {
        return withActor(this.sequelize, userId, () => next.handle().subscribe(subscriber));
      } catch (error) {
        subscriber.error(error instanceof InvalidIdError ? new BadRequestException(error.message) : error);
        return undefined;
      }
    });
  }
}
