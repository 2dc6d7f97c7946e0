import {
  BadRequestException,
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Injectable,
  NotFoundException,
  SetMetadata,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectConnection } from '@nestjs/sequelize';
import { type AccessAction, type AccessEntity, canWhy, InvalidIdError } from '@tbp/models';
import type { Sequelize } from 'sequelize-typescript';
import { userIdOf } from './auth';

const ACCESS = 'tbp:access';

/** Who may call a route, by D9: `@Access('CREATE', 'tour_pages')`, `@Access('PUBLISH', 'projects')`. */
export const Access = (action: AccessAction, entity: AccessEntity) => SetMetadata(ACCESS, { action, entity });

/**
 * A guard built on `canWhy`: the project is the route's `:id`, the environment the body's (dev by
 * default). 401 for an anonymous caller, 403 with D9's reason for anyone else who may not.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @InjectConnection() private readonly sequelize: Sequelize,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const rule = this.reflector.get<{ action: AccessAction; entity: AccessEntity } | undefined>(
      ACCESS,
      context.getHandler(),
    );
    if (!rule) return true;
    const request = context.switchToHttp().getRequest();
    let decision: Awaited<ReturnType<typeof canWhy>>;
    try {
      decision = await canWhy(this.sequelize, userIdOf(request), rule.action, rule.entity, {
        projectId: request.params.id ?? null,
        environment: request.body?.environment ?? 'dev',
      });
    } catch (error) {
      if (!(error instanceof InvalidIdError)) throw error;
      throw error.field === 'userId'
        ? new BadRequestException(error.message)
        : new NotFoundException('no such project');
    }
    if (decision.allowed) return true;
    const body = { error: 'forbidden', rule: decision.rule, reason: decision.reason };
    throw decision.rule === 'anonymous' ? new UnauthorizedException(body) : new ForbiddenException(body);
  }
}
