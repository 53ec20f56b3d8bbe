<?php

namespace Reconciler\Bundle\DotmailerApiBundle\Tests\Unit\DependencyInjection;

use Oro\Component\ChainProcessor\ProcessorInterface;
use PHPUnit\Framework\TestCase;
use Reconciler\Bundle\DotmailerApiBundle\Api\Model\IntegrationSync;
use Reconciler\Bundle\DotmailerApiBundle\Api\Processor;
use Reconciler\Bundle\DotmailerApiBundle\DependencyInjection\ReconcilerDotmailerApiExtension;
use Symfony\Component\DependencyInjection\ContainerBuilder;
use Symfony\Component\DependencyInjection\Reference;

/**
 * Resources/config/services.yml loaded by Symfony's own YamlFileLoader: each processor with its tag and the
 * Oro services it gets (ids from oroinc/platform: SecurityBundle/Resources/config/services.yml
 * oro_security.encoder.default, IntegrationBundle/Resources/config/services.yml oro_integration.manager.types_registry
 * and oro_integration.genuine_sync_scheduler, IntegrationBundle/Resources/config/mq_topics.yml for the topic,
 * MessageQueueBundle/Resources/config/client.yml oro_message_queue.client.buffered_message_producer,
 * MessageQueueBundle/Resources/config/job.yml oro_message_queue.job.processor, EntityBundle/Resources/config/orm.yml
 * oro_entity.doctrine_helper).
 */
final class ReconcilerDotmailerApiExtensionTest extends TestCase
{
    public function testTheProcessorsAreRegisteredWithTheirTagsAndServices(): void
    {
        $container = new ContainerBuilder();
        (new ReconcilerDotmailerApiExtension())->load([], $container);

        $services = [];
        foreach ($container->getDefinitions() as $id => $definition) {
            if ('service_container' === $id) {
                continue;
            }
            self::assertTrue(is_subclass_of($definition->getClass(), ProcessorInterface::class), $id);
            $services[$id] = [
                $definition->getClass(),
                array_map(static fn (Reference $r) => (string)$r, $definition->getArguments()),
                $definition->getTags(),
            ];
        }

        $sync = IntegrationSync::class;
        self::assertSame(
            [
                'reconciler_dotmailer_api.api.encrypt_transport_secrets' => [
                    Processor\EncryptTransportSecrets::class,
                    ['oro_security.encoder.default'],
                    ['oro.api.processor' => [[
                        'action' => 'customize_form_data',
                        'event' => 'pre_submit',
                        'class' => 'Oro\Bundle\DotmailerBundle\Entity\DotmailerTransport',
                    ]]],
                ],
                'reconciler_dotmailer_api.api.set_dotmailer_connectors' => [
                    Processor\SetDotmailerConnectors::class,
                    ['oro_integration.manager.types_registry'],
                    ['oro.api.processor' => [[
                        'action' => 'customize_form_data',
                        'event' => 'post_submit',
                        'class' => 'Oro\Bundle\IntegrationBundle\Entity\Channel',
                    ]]],
                ],
                'reconciler_dotmailer_api.api.set_data_field_force_remove' => [
                    Processor\SetDataFieldForceRemove::class,
                    [],
                    ['oro.api.processor' => [[
                        'action' => 'delete',
                        'group' => 'delete_data',
                        'class' => 'Oro\Bundle\DotmailerBundle\Entity\DataField',
                        'priority' => 10,
                    ]]],
                ],
                'reconciler_dotmailer_api.api.integration_sync.set_identifier_generator' => [
                    Processor\SetIntegrationSyncIdentifierGenerator::class,
                    [],
                    ['oro.api.processor' => [['action' => 'get_metadata', 'class' => $sync, 'priority' => -20]]],
                ],
                'reconciler_dotmailer_api.api.integration_sync.validate' => [
                    Processor\ValidateIntegrationSync::class,
                    ['oro_integration.manager.types_registry', 'security.authorization_checker'],
                    ['oro.api.processor' => [[
                        'action' => 'customize_form_data',
                        'event' => 'post_validate',
                        'parentAction' => 'create',
                        'class' => $sync,
                    ]]],
                ],
                'reconciler_dotmailer_api.api.integration_sync.schedule' => [
                    Processor\ScheduleIntegrationSync::class,
                    [
                        'oro_integration.genuine_sync_scheduler',
                        'oro_message_queue.client.buffered_message_producer',
                        'oro_message_queue.job.processor',
                        'Oro\Bundle\IntegrationBundle\Async\Topic\SyncIntegrationTopic',
                    ],
                    ['oro.api.processor' => [['action' => 'create', 'group' => 'save_data', 'class' => $sync]]],
                ],
                'reconciler_dotmailer_api.api.integration_sync.load' => [
                    Processor\LoadIntegrationSync::class,
                    [
                        'oro_message_queue.job.processor',
                        'Oro\Bundle\IntegrationBundle\Async\Topic\SyncIntegrationTopic',
                        'oro_entity.doctrine_helper',
                        'security.authorization_checker',
                    ],
                    ['oro.api.processor' => [['action' => 'get', 'group' => 'load_data', 'class' => $sync]]],
                ],
            ],
            $services
        );
    }

    public function testEveryConstructorTakesTheServicesItIsGiven(): void
    {
        $container = new ContainerBuilder();
        (new ReconcilerDotmailerApiExtension())->load([], $container);

        foreach ($container->getDefinitions() as $id => $definition) {
            if ('service_container' === $id) {
                continue;
            }
            $constructor = (new \ReflectionClass($definition->getClass()))->getConstructor();
            self::assertSame(
                null === $constructor ? 0 : $constructor->getNumberOfParameters(),
                \count($definition->getArguments()),
                $id
            );
        }
    }
}
